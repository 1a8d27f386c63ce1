"""Signed checkpoints of the global log: C2SP tlog-checkpoint bodies in C2SP signed notes (Ed25519).

Body: `<origin>\\n<tree size>\\n<base64 root hash>\\n`, then a blank line, then signature lines
`— <key name> <base64(4-byte key ID || 64-byte Ed25519 signature over the body)>\\n`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04  # C2SP tlog-cosignature: a witness's timestamped Ed25519 cosignature
_SIG_PREFIX = "\u2014 "  # em dash, space
_MAX_SIGNATURES = 100  # same bound as the Go reference implementation (golang.org/x/mod/sumdb/note)
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A note, checkpoint or verifier key that is malformed or does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str


def key_id(name: str, public_key: bytes, alg: int = ALG_ED25519) -> bytes:
    """C2SP signed-note key ID: first 4 bytes of SHA-256(name || 0x0A || alg || public key)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + bytes(public_key)).digest()[:4]


def _check_key_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise CheckpointError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64: rejects the non-canonical spellings a lenient decoder accepts."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode() != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def format_vkey(name: str, public_key: bytes, alg: int = ALG_ED25519) -> str:
    """C2SP verifier key string: `<name>+<8 hex key id>+<base64(alg || public key)>`."""
    _check_key_name(name)
    encoded = base64.b64encode(bytes([alg]) + bytes(public_key)).decode()
    return f"{name}+{key_id(name, public_key, alg).hex()}+{encoded}"


def parse_vkey(vkey: str, alg: int = ALG_ED25519) -> tuple[str, bytes, Ed25519PublicKey]:
    """Split a verifier key into (name, key ID, public key), checking that they agree."""
    parts = vkey.strip().split("+", 2)  # base64 may itself contain "+"
    if len(parts) != 3:
        raise CheckpointError("verifier key must look like <name>+<key id hex>+<base64 key>")
    name, id_hex, encoded = parts
    _check_key_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", id_hex):
        raise CheckpointError("verifier key ID must be 8 lowercase hex digits")
    raw = _b64decode(encoded, "verifier key")
    if len(raw) != 33 or raw[0] != alg:
        raise CheckpointError(f"verifier key is not an Ed25519 key (0x{alg:02x} || 32 bytes)")
    public = raw[1:]
    kid = bytes.fromhex(id_hex)
    if key_id(name, public, alg) != kid:
        raise CheckpointError("verifier key ID does not match its name and public key")
    return name, kid, Ed25519PublicKey.from_public_bytes(public)


def format_body(origin: str, size: int, root: bytes) -> str:
    """The checkpoint text that gets signed."""
    if not origin or "\n" in origin:
        raise CheckpointError("origin must be a non-empty single line")
    if size < 0:
        raise CheckpointError("tree size must not be negative")
    if len(root) != 32:
        raise CheckpointError("root hash must be 32 bytes")
    return f"{origin}\n{size}\n{base64.b64encode(bytes(root)).decode()}\n"


class CheckpointSigner:
    """The log's Ed25519 checkpoint key, kept as an unencrypted PKCS#8 PEM file readable by its owner only."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_key_name(name)
        self._name = name
        self._key = private_key
        self._public = _raw_public_key(private_key.public_key())
        self._key_id = key_id(name, self._public)

    @classmethod
    def load_or_create(cls, path: Path, name: str) -> CheckpointSigner:
        """Load the key at `path`, or create it there (mode 0600) if there is none yet."""
        _check_key_name(name)
        path = Path(path)
        if not path.exists():
            _create_key_file(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise CheckpointError(f"{path} does not hold an Ed25519 private key")
        return cls(name, key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def public_key(self) -> bytes:
        """Raw 32-byte Ed25519 public key."""
        return self._public

    @property
    def vkey(self) -> str:
        return format_vkey(self._name, self._public)

    def sign(self, size: int, root: bytes) -> str:
        """Signed note text for the checkpoint (origin = key name) of a tree of `size` leaves."""
        return self.sign_text(format_body(self._name, size, root))

    def sign_text(self, body: str) -> str:
        """A C2SP signed note of `body` (lines ending in newline, no blank line) by this key."""
        signature = self._key.sign(body.encode())
        encoded = base64.b64encode(self._key_id + signature).decode()
        return f"{body}\n{_SIG_PREFIX}{self._name} {encoded}\n"


def _create_key_file(path: Path) -> None:
    """Write a new key atomically: readers see either no file or the whole key, never a stub.

    os.link refuses to replace an existing file, so when two workers race the first key wins
    and the loser loads it instead of silently forking the log's identity.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def parse_body(text: str) -> tuple[str, int, bytes]:
    lines = text.split("\n")
    # text ends with "\n", so the split leaves one empty string after the last line
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("checkpoint must have an origin, a tree size and a root hash line")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin:
        raise CheckpointError("checkpoint origin line is empty")
    if not _DECIMAL.fullmatch(size_text):
        raise CheckpointError(f"checkpoint tree size {size_text!r} is not a decimal number")
    root = _b64decode(root_text, "checkpoint root hash")
    if len(root) != 32:
        raise CheckpointError("checkpoint root hash is not 32 bytes")
    if any(not extension for extension in lines[3:-1]):
        raise CheckpointError("checkpoint has an empty extension line")
    return origin, int(size_text), root


def key_fingerprint(vkey: str) -> str:
    """What a person reads aloud to compare a key: SHA-256 of the verifier key, in groups."""
    digest = hashlib.sha256(vkey.strip().encode()).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def open_note(note: str | bytes, vkey: str) -> str:
    """Check a signed note's signature by `vkey`; return the signed text (ending in newline).

    Signatures by other keys (e.g. witness cosignatures) are allowed and ignored.
    """
    if not isinstance(note, str | bytes | bytearray):
        raise CheckpointError("note is not text")
    name, kid, public_key = parse_vkey(vkey)
    if isinstance(note, bytes | bytearray):
        try:
            note = bytes(note).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("note is not valid UTF-8") from exc
    if any(ch < " " and ch != "\n" for ch in note) or "\x7f" in note:
        raise CheckpointError("note contains control characters")
    if not note.endswith("\n"):
        raise CheckpointError("note does not end with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note has no blank line before its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block:
        raise CheckpointError("note has no signatures")

    ours: list[bytes] = []
    other_key_ids: list[bytes] = []
    lines = signature_block[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise CheckpointError("note has too many signatures")
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError("malformed signature line (expected '— <name> <signature>')")
        parts = line[len(_SIG_PREFIX) :].split(" ")
        if len(parts) != 2 or not parts[0]:
            raise CheckpointError("malformed signature line (expected '— <name> <signature>')")
        signer, encoded = parts
        raw = _b64decode(encoded, f"signature by {signer}")
        if len(raw) < 5:
            raise CheckpointError(f"signature by {signer} is too short")
        if signer != name:
            continue
        if raw[:4] != kid:
            other_key_ids.append(raw[:4])
            continue
        if len(raw) != 4 + 64:
            raise CheckpointError(f"signature by {signer} is not an Ed25519 signature")
        ours.append(raw[4:])

    if not ours:
        if other_key_ids:
            raise CheckpointError(
                f"note is signed by {name} with key ID {other_key_ids[0].hex()}, "
                f"not the expected {kid.hex()} (wrong key)"
            )
        raise CheckpointError(f"note has no signature by {name}")
    body = text.encode()
    for signature in ours:
        try:
            public_key.verify(signature, body)
        except InvalidSignature:
            raise CheckpointError(f"bad signature by {name}") from None
    return text


def verify_note(note: str | bytes, vkey: str, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint note against a verifier key; return the checkpoint it holds.

    The checkpoint's origin must be `origin` (default: the verifier key's name). Signatures by
    other keys (e.g. witness cosignatures) are allowed and ignored.
    """
    text = open_note(note, vkey)
    if isinstance(note, bytes | bytearray):
        note = bytes(note).decode("utf-8")
    name = parse_vkey(vkey)[0]
    checkpoint_origin, size, root = parse_body(text)
    expected_origin = name if origin is None else origin
    if checkpoint_origin != expected_origin:
        raise CheckpointError(
            f"checkpoint origin {checkpoint_origin!r} is not the expected {expected_origin!r}"
        )
    return Checkpoint(origin=checkpoint_origin, size=size, root=root, note=note)
