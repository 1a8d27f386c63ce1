"""Signed checkpoints: a party's receipt can prove the server said "the log had N entries with root R"."""

from __future__ import annotations

import base64
import hashlib
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    CheckpointSigner,
    key_id,
    parse_vkey,
    verify_note,
)

NAME = "casetrail.example/log"
ROOT = hashlib.sha256(b"some root").digest()


@pytest.fixture
def signer(tmp_path):
    return CheckpointSigner.load_or_create(tmp_path / "keys" / "checkpoint.pem", NAME)


def test_server_signs_a_checkpoint_and_a_supervisor_verifies_it(signer):
    note = signer.sign(42, ROOT)
    body = f"{NAME}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert note.startswith(body + "\n\u2014 " + NAME + " ")
    assert note.endswith("\n")

    checkpoint = verify_note(note, signer.vkey)
    assert checkpoint == Checkpoint(origin=NAME, size=42, root=ROOT, note=note)
    assert verify_note(note.encode(), signer.vkey) == checkpoint


def test_the_signature_covers_exactly_the_checkpoint_body(signer):
    note = signer.sign(7, ROOT)
    body, signature_line = note.split("\n\n")
    raw = base64.b64decode(signature_line.split(" ")[2])
    assert len(raw) == 68
    assert raw[:4] == key_id(NAME, signer.public_key)
    # verifying with the bare cryptography API proves the signed bytes are the body and nothing else
    _, _, public_key = parse_vkey(signer.vkey)
    public_key.verify(raw[4:], (body + "\n").encode())


def test_one_flipped_byte_anywhere_in_the_note_is_caught(signer):
    note = signer.sign(123456, ROOT).encode()
    for position in range(len(note)):
        for mask in (0x01, 0x20, 0x80):
            forged = bytearray(note)
            forged[position] ^= mask
            with pytest.raises(CheckpointError):
                verify_note(bytes(forged), signer.vkey)


def test_a_checkpoint_signed_by_another_key_with_the_same_name_is_rejected(signer, tmp_path):
    impostor = CheckpointSigner.load_or_create(tmp_path / "impostor.pem", NAME)
    note = impostor.sign(42, ROOT)
    with pytest.raises(CheckpointError, match="key ID"):
        verify_note(note, signer.vkey)


def test_a_note_without_our_signature_is_rejected(signer, tmp_path):
    other = CheckpointSigner.load_or_create(tmp_path / "other.pem", "other.example/log")
    with pytest.raises(CheckpointError, match="no signature"):
        verify_note(other.sign(1, ROOT), signer.vkey)


def test_a_forged_signature_under_the_right_key_id_is_a_bad_signature(signer):
    note = signer.sign(42, ROOT)
    body, line = note.split("\n\n")
    kid = base64.b64decode(line.split(" ")[2])[:4]
    fake = base64.b64encode(kid + bytes(64)).decode()
    with pytest.raises(CheckpointError, match="bad signature"):
        verify_note(f"{body}\n\n\u2014 {NAME} {fake}\n", signer.vkey)


def test_cosignatures_by_other_keys_are_tolerated(signer):
    witness = CheckpointSigner("witness.example", Ed25519PrivateKey.generate())
    note = signer.sign(5, ROOT)
    cosignature = witness.sign(5, ROOT).split("\n\n")[1]  # not ours to check: ignored
    assert verify_note(note + cosignature, signer.vkey).size == 5
    with pytest.raises(CheckpointError, match="bad signature"):
        verify_note(note + cosignature, witness.vkey)  # the witness signed another body


def test_the_expected_origin_is_enforced(signer):
    note = signer.sign(3, ROOT)
    assert verify_note(note, signer.vkey, origin=NAME).origin == NAME
    with pytest.raises(CheckpointError, match="origin"):
        verify_note(note, signer.vkey, origin="someone.else/log")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no newline at end",
        f"{NAME}\n1\n\n",
        f"{NAME}\n1\nroot\n\n\u2014 {NAME} AAAA\n",
        f"{NAME}\n1\n\n\u2014 {NAME}\n",
        f"{NAME}\n1\n\n- {NAME} AAAAAAAA\n",
    ],
)
def test_malformed_notes_are_rejected_with_a_checkpoint_error(signer, text):
    with pytest.raises(CheckpointError):
        verify_note(text, signer.vkey)


def test_a_correctly_signed_but_malformed_body_is_still_rejected(tmp_path):
    key = Ed25519PrivateKey.generate()
    signer = CheckpointSigner("log", key)
    kid = key_id("log", signer.public_key)
    for body in (
        "log\n01\n" + base64.b64encode(ROOT).decode() + "\n",
        "log\n1\nAAAA\n",
        "log\n1\n",
    ):
        signature = base64.b64encode(kid + key.sign(body.encode())).decode()
        with pytest.raises(CheckpointError):
            verify_note(f"{body}\n\u2014 log {signature}\n", signer.vkey)


def test_the_key_file_is_private_and_reused_across_restarts(tmp_path):
    path = tmp_path / "data" / "checkpoint.pem"
    first = CheckpointSigner.load_or_create(path, NAME)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()
    again = CheckpointSigner.load_or_create(path, NAME)
    assert again.vkey == first.vkey
    assert verify_note(first.sign(9, ROOT), again.vkey).size == 9
    assert [p.name for p in path.parent.iterdir()] == ["checkpoint.pem"]  # no temp files left


def test_the_verifier_key_follows_the_c2sp_formula(signer):
    name, id_hex, encoded = signer.vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    assert name == NAME
    assert raw[0] == 0x01 and raw[1:] == signer.public_key
    expected = hashlib.sha256(NAME.encode() + b"\x0a" + b"\x01" + signer.public_key).digest()[:4]
    assert id_hex == expected.hex() == key_id(NAME, signer.public_key).hex()


def test_bad_verifier_keys_are_refused(signer):
    name, id_hex, encoded = signer.vkey.split("+", 2)
    wrong_id = f"{(int(id_hex, 16) ^ 1):08x}"
    for bad in (f"{name}+{wrong_id}+{encoded}", f"{name}+{id_hex}", "x+y+z", f"{name}+{id_hex}+!!"):
        with pytest.raises(CheckpointError):
            verify_note(signer.sign(1, ROOT), bad)


def test_key_names_with_spaces_or_plus_are_refused(tmp_path):
    for name in ("", "has space", "a+b"):
        with pytest.raises(CheckpointError):
            CheckpointSigner.load_or_create(tmp_path / "k.pem", name)
    assert not (tmp_path / "k.pem").exists()


def test_a_verifier_key_whose_base64_holds_a_plus_sign_still_parses():
    for _ in range(200):  # about a third of random keys encode with a "+"
        signer = CheckpointSigner("log", Ed25519PrivateKey.generate())
        if "+" in signer.vkey.split("+", 2)[2]:
            break
    else:
        pytest.skip("no key with a '+' in its base64 came up")
    assert verify_note(signer.sign(1, ROOT), signer.vkey).size == 1
