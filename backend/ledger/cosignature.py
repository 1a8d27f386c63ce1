"""Witness cosignatures of checkpoints (C2SP tlog-cosignature, Ed25519 `cosignature/v1`).

A cosignature line is `— <witness name> base64(key ID || u64 time || Ed25519 signature)`,
signed over `cosignature/v1\\ntime <time>\\n` followed by the checkpoint's text. It says: as of
that time, this is the largest tree the witness has seen for the log, consistent with all before.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.ledger.checkpoint import (
    ALG_COSIGNATURE_V1,
    CheckpointError,
    _create_key_file,
    format_vkey,
    key_id,
    parse_vkey,
)

_PREFIX = "\u2014 "


def _message(text: str, when: int) -> bytes:
    return f"cosignature/v1\ntime {when}\n{text}".encode()


def split_note(note: str) -> tuple[str, list[str]]:
    """(signed text ending in newline, signature lines) of a signed note."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise CheckpointError("note has no blank line before its signatures")
    return note[: split + 1], note[split + 2 : -1].split("\n")


class Cosigner:
    """A witness's Ed25519 key, kept like the log's key (PKCS#8 PEM, mode 0600)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = name
        self._key = private_key
        public = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.vkey = format_vkey(name, public, ALG_COSIGNATURE_V1)
        self._key_id = key_id(name, public, ALG_COSIGNATURE_V1)

    @classmethod
    def load_or_create(cls, path: Path, name: str) -> Cosigner:
        if not path.exists():
            _create_key_file(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise CheckpointError(f"{path} does not hold an Ed25519 private key")
        return cls(name, key)

    def cosign(self, checkpoint_text: str, when: int) -> str:
        """A cosignature line (ending in newline) over a checkpoint's signed text."""
        signature = self._key.sign(_message(checkpoint_text, when))
        raw = self._key_id + when.to_bytes(8, "big") + signature
        return f"{_PREFIX}{self.name} {base64.b64encode(raw).decode()}\n"


def cosigned_at(note: str, witness_vkey: str) -> int:
    """The time of a valid cosignature on `note` by the witness `witness_vkey`; raises if none."""
    name, kid, public_key = parse_vkey(witness_vkey, ALG_COSIGNATURE_V1)
    text, lines = split_note(note)
    for line in lines:
        if not line.startswith(f"{_PREFIX}{name} "):
            continue
        try:
            raw = base64.b64decode(line.rsplit(" ", 1)[1], validate=True)
        except ValueError:
            continue
        if raw[:4] != kid or len(raw) != 4 + 8 + 64:
            continue
        when = int.from_bytes(raw[4:12], "big")
        try:
            public_key.verify(raw[12:], _message(text, when))
        except InvalidSignature:
            raise CheckpointError(f"bad cosignature by {name}") from None
        return when
    raise CheckpointError(f"no cosignature by {name}")


def cosigners(note: str, witness_vkeys: list[str]) -> list[str]:
    """The given witnesses whose cosignature on `note` verifies."""
    found = []
    for vkey in witness_vkeys:
        try:
            cosigned_at(note, vkey)
        except CheckpointError:
            continue
        found.append(vkey)
    return found
