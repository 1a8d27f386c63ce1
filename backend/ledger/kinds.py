"""The closed, versioned set of entry kinds, each with a JSON Schema for its payload."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from backend.errors import Invalid
from backend.ledger.schema_messages import message_zh

SHARED = Path(__file__).resolve().parents[2] / "shared"
KINDS_DIR = SHARED / "schemas" / "kinds"
KIND_FILE = re.compile(r"^(?P<kind>[a-z][a-z0-9_]*(\.[a-z0-9_]+)*)\.v(?P<version>\d+)\.json$")


def schema_version(path: Path) -> tuple[str, int]:
    """(kind, version) of a kind schema file; versions compare as numbers (v10 after v9)."""
    match = KIND_FILE.match(path.name)
    if not match:
        raise ValueError(f"kind schema file name not of the form <kind>.v<N>.json: {path}")
    return match["kind"], int(match["version"])


def schema_files(directory: Path | None = None, kind: str = "*") -> list[Path]:
    """Kind schema files ordered by kind, then by numeric version (never as text).

    Every reader of kind schemas goes through here: a text sort would take v9 for newer than v10."""
    return sorted((directory or KINDS_DIR).glob(f"{kind}.v*.json"), key=schema_version)


def latest_schema(kind: str, directory: Path | None = None) -> dict[str, Any]:
    """The newest schema of `kind` ({} for an unknown kind)."""
    files = schema_files(directory, kind)
    return json.loads(files[-1].read_text(encoding="utf-8")) if files else {}


@dataclass(frozen=True)
class KindRegistry:
    """Schema files by kind and version, each compiled on first use; the latest version is used
    for new entries.

    Compiling all of them at start-up, with jsonschema's check of each schema, was most of a
    restart (5–20 s on a busy machine); the shipped schemas are checked by the unit tests.
    """

    files: dict[str, dict[int, Path]]
    _compiled: dict[tuple[str, int], jsonschema_rs.Draft202012Validator] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def load(cls, directory: Path = SHARED / "schemas" / "kinds") -> KindRegistry:
        files: dict[str, dict[int, Path]] = {}
        for path in sorted(directory.glob("*.json")):  # versions are keyed by int below
            kind, version = schema_version(path)
            files.setdefault(kind, {})[version] = path
        return cls(files)

    @property
    def validators(self) -> dict[str, dict[int, Path]]:
        """Kind -> version -> schema file (the name earlier callers list kinds by)."""
        return self.files

    def __contains__(self, kind: str) -> bool:
        return kind in self.files

    def latest(self, kind: str) -> int:
        if kind not in self.files:
            raise Invalid(f"unknown entry kind: {kind}", code="unknown_kind")
        return max(self.files[kind])

    def validator(self, kind: str, version: int) -> jsonschema_rs.Draft202012Validator | None:
        compiled = self._compiled.get((kind, version))
        if compiled is None:
            path = self.files.get(kind, {}).get(version)
            if path is None:
                return None
            schema = json.loads(path.read_text(encoding="utf-8"))
            compiled = self._compiled[(kind, version)] = compile_schema(schema)
        return compiled

    def validate(self, kind: str, payload: Any, version: int | None = None) -> int:
        """Check `payload` against the kind's schema; returns the version it was checked against."""
        version = version or self.latest(kind)
        validator = self.validator(kind, version)
        if validator is None:
            raise Invalid(f"unknown entry kind: {kind} v{version}", code="unknown_kind")
        if validator.is_valid(payload):
            return version
        errors = schema_errors(validator, payload, _schema(kind, version))
        # Officers read the message; developers find the path and the validator's words in detail.
        raise Invalid(
            "；".join(dict.fromkeys(e["message_zh"] for e in errors[:5])),
            code="schema_violation",
            detail=errors[:20],
        )


def compile_schema(schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    """A fast validator for `schema` (jsonschema-rs). Whether a schema is itself valid is
    `check_schema`'s question, asked by the tests of every shipped schema, not at start-up."""
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def check_schema(schema: dict[str, Any]) -> None:
    """Raise if `schema` is not a valid JSON Schema (draft 2020-12)."""
    from jsonschema import Draft202012Validator  # a test's question: kept off the start-up path

    Draft202012Validator.check_schema(schema)


def schema_errors(
    validator: jsonschema_rs.Draft202012Validator,
    instance: Any,
    schema: dict[str, Any] | None = None,
) -> list[dict[str, str]]:
    """Errors as {path, message, field, message_zh}, ordered by where they are.

    `field` and `message_zh` name the field by its Chinese title (from `schema`, when given).
    """
    errors = []
    for e in validator.iter_errors(instance):
        path = list(e.instance_path)
        field, zh = message_zh(schema or {}, path, e.kind)
        errors.append(
            {
                "path": "/".join(str(p) for p in path),
                "message": e.message,
                "field": field,
                "message_zh": zh,
            }
        )
    return sorted(errors, key=lambda e: e["path"])


@cache
def default_registry() -> KindRegistry:
    return KindRegistry.load()


SHA256_PATTERN = "^[0-9a-f]{64}$"


# A payload field names a blob when the PWA's forms would attach a photo to it (schema_form.js
# `withHints`): the photo widget, the blob-sha256 format, or a hash field whose name ends in "blob".
def _names_blob(schema: dict[str, Any], name: str = "") -> bool:
    return (
        schema.get("x-widget") == "photo"
        or schema.get("format") == "blob-sha256"
        or (name.endswith("blob") and schema.get("pattern") == SHA256_PATTERN)
    )


@cache
def _schema(kind: str, version: int) -> dict[str, Any]:
    path = SHARED / "schemas" / "kinds" / f"{kind}.v{version}.json"
    if not path.is_file():
        raise Invalid(f"unknown entry kind: {kind} v{version}", code="unknown_kind")
    return json.loads(path.read_text(encoding="utf-8"))


def payload_blobs(kind: str, version: int, payload: Any) -> list[str]:
    """The blob hashes a payload names in its photo fields (nested objects and lists included)."""
    found: list[str] = []
    _walk(_schema(kind, version), payload, found)
    return list(dict.fromkeys(found))


def _walk(schema: Any, value: Any, found: list[str], name: str = "") -> None:
    if not isinstance(schema, dict):
        return
    if _names_blob(schema, name) and isinstance(value, str):
        found.append(value)
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key) or []:
            _walk(part, value, found, name)
    for key in ("if", "then", "else"):
        _walk(schema.get(key), value, found, name)
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                _walk(sub, value[name], found, name)
    elif isinstance(value, list):
        items = schema.get("items")
        for item in value:
            _walk(items, item, found, name)
