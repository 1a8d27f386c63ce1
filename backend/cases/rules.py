"""Agency rule packs: loading, validating and reading the JSON files in shared/rules/.

A pack is data. Adding an agency is adding a file; nothing here knows any agency by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.errors import Invalid, NotFound

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SHARED = Path(__file__).resolve().parents[2] / "shared"
RULES_DIR = SHARED / "rules"
KINDS_DIR = SHARED / "schemas" / "kinds"
PACK_SCHEMA = SHARED / "schemas" / "rule-pack.schema.json"


@dataclass(frozen=True)
class RulePack:
    """One agency's validated rules; `data` is the JSON document as loaded."""

    id: str
    data: dict[str, Any] = field(repr=False)
    source: Path | None = None

    @property
    def agency_name(self) -> str:
        return self.data["agency"]["name_zh"]

    @property
    def enforcement_kinds(self) -> list[str]:
        return [k["kind"] for k in self.data["enforcement_kinds"]]

    @property
    def stages(self) -> list[str]:
        return list(self.data["stages"])

    @property
    def steps(self) -> dict[str, dict[str, Any]]:
        return self.data["steps"]

    @property
    def deadlines(self) -> dict[str, Any]:
        return self.data["deadlines"]

    def workflow(self, enforcement_kind: str, procedure: str) -> dict[str, Any] | None:
        """The first workflow that covers this kind and procedure, or None."""
        for flow in self.data["workflows"]:
            if enforcement_kind in flow["enforcement_kinds"] and procedure in flow["procedures"]:
                return flow
        return None

    def referenced_kinds(self) -> set[str]:
        """Every entry kind the pack names, so a pack cannot point at a kind that does not exist."""
        kinds: set[str] = set()
        for step in self.data["steps"].values():
            kinds.update(step["any_of"])
        for flow in self.data["workflows"]:
            kinds.update(flow["ends_with"])
        for pre in self.data["prerequisites"]:
            kinds.update((pre["record_kind"], pre["before"]))
        for matter in self.data["av_matters"]:
            kinds.update(matter["record_kinds"])
        for rule in self.data["signatures"]["rules"]:
            kinds.update(rule["record_kinds"])
        return kinds


def known_kinds(directory: Path = KINDS_DIR) -> set[str]:
    """Kind names that have a schema file (`<kind>.v<N>.json`)."""
    return {p.name.rsplit(".v", 1)[0] for p in directory.glob("*.v*.json")}


def pack_validator() -> Draft202012Validator:
    # jsonschema is imported when a pack is first checked, not at every server start.
    from jsonschema import Draft202012Validator

    schema = json.loads(PACK_SCHEMA.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def load_pack(path: Path, kinds_dir: Path = KINDS_DIR) -> RulePack:
    """Read and validate one pack file; raises Invalid naming the first problem."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid(f"rule pack {path} unreadable: {exc}", code="rule_pack_invalid") from exc
    errors = sorted(pack_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
        raise Invalid(
            f"rule pack {path} invalid at {where}: {errors[0].message}", code="rule_pack_invalid"
        )
    pack = RulePack(id=data["id"], data=data, source=Path(path))
    _check_references(pack, kinds_dir)
    return pack


def _files_signature(directory: Path, kinds_dir: Path) -> tuple:
    """Changes when a pack file changes or a kind schema is added or removed."""
    packs = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(Path(directory).glob("*.json")))
    return (*packs, Path(kinds_dir).stat().st_mtime_ns)


def load_packs(directory: Path = RULES_DIR, kinds_dir: Path = KINDS_DIR) -> dict[str, RulePack]:
    """All packs in a directory, by agency id; validated once per version of the files."""
    return _load_packs(Path(directory), Path(kinds_dir), _files_signature(directory, kinds_dir))


@lru_cache(maxsize=8)
def _load_packs(directory: Path, kinds_dir: Path, signature: tuple) -> dict[str, RulePack]:
    # Validating every pack costs tens of milliseconds; a changed or added file changes
    # `signature`, so an edited pack is picked up on the next call.
    packs: dict[str, RulePack] = {}
    for path in sorted(Path(directory).glob("*.json")):
        pack = load_pack(path, kinds_dir)
        if pack.id in packs:
            raise Invalid(f"two rule packs for agency {pack.id}", code="rule_pack_invalid")
        packs[pack.id] = pack
    return packs


def get_pack(agency_id: str, directory: Path = RULES_DIR) -> RulePack:
    """The pack for one agency; NotFound if there is none."""
    packs = load_packs(directory)
    if agency_id not in packs:
        raise NotFound(f"no rule pack for agency {agency_id}", code="rule_pack_not_found")
    return packs[agency_id]


def _check_references(pack: RulePack, kinds_dir: Path) -> None:
    missing = sorted(pack.referenced_kinds() - known_kinds(kinds_dir))
    if missing:
        raise Invalid(
            f"rule pack {pack.id} names kinds without a schema: {', '.join(missing)}",
            code="rule_pack_invalid",
        )
    for flow in pack.data["workflows"]:
        unknown = [s for s in flow["steps"] if s not in pack.steps]
        if unknown:
            raise Invalid(
                f"rule pack {pack.id} workflow names unknown steps: {', '.join(unknown)}",
                code="rule_pack_invalid",
            )
