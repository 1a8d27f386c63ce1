"""An auditor handed a bundle learns the truth about it: forged, shortened, relabelled or corrupt."""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

from backend.ledger.bundle import export_case, verify_bundle
from backend.ledger.checkpoint import CheckpointSigner
from backend.ledger.ledger import Ledger
from tests.integration.ledger.drafts import note
from tests.integration.ledger.test_tamper import a_case_with_a_photo


def rewrite(bundle: Path, out: Path, change) -> Path:
    """Copy a bundle, letting `change(name, data)` return each member's new bytes (None drops it)."""
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = change(item.filename, src.read(item))
            if data is not None:
                dst.writestr(item.filename, data)
    return out


async def exported(ledger, blobs, tmp_path) -> tuple[Path, str]:
    entries, sha = await a_case_with_a_photo(ledger, blobs)
    await ledger.append(note("other-case"))
    bundle = tmp_path / "case-1.zip"
    await export_case(ledger, blobs, "case-1", bundle, held={sha})
    return bundle, entries[-1].hash


async def test_a_bundle_forged_with_its_own_key_is_not_verified_without_a_trusted_key(
    ledger, blobs, engine, tmp_path
):
    await a_case_with_a_photo(ledger, blobs)
    # Someone makes a whole consistent bundle (own chain, own tree) under a key of their own.
    forger = Ledger(
        engine, CheckpointSigner.load_or_create(tmp_path / "forger.pem", ledger.signer.name)
    )
    forged = tmp_path / "forged.zip"
    try:
        await export_case(forger, blobs, "case-1", forged, held=set())
    finally:
        await forger.close()

    report = await verify_bundle(forged)
    assert not report.ok and report.untrusted_key == forger.signer.vkey
    assert not report.problems  # consistent in itself; only trust is missing

    report = await verify_bundle(forged, [ledger.signer.vkey])
    assert not report.ok
    assert any("does not verify" in str(p) for p in report.problems), report.problems


async def test_a_bundle_with_its_last_entries_dropped_names_the_case(ledger, blobs, tmp_path):
    bundle, last_hash = await exported(ledger, blobs, tmp_path)

    def drop_last(name: str, data: bytes) -> bytes:
        if name in ("entries.jsonl", "proofs.jsonl"):
            return b"".join(line + b"\n" for line in data.splitlines()[:-1])
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["entries"] -= 1
            return json.dumps(manifest).encode()
        return data

    shortened = rewrite(bundle, tmp_path / "short.zip", drop_last)
    report = await verify_bundle(shortened, [ledger.signer.vkey])
    assert [str(p) for p in report.problems] == [
        "case case-1: the signed head counts 4 entries but the bundle holds 3: entries were dropped"
    ]


async def test_a_bundle_relabelled_as_another_case_names_the_manifest(ledger, blobs, tmp_path):
    bundle, _ = await exported(ledger, blobs, tmp_path)

    def relabel(name: str, data: bytes) -> bytes:
        if name == "manifest.json":
            return json.dumps({**json.loads(data), "case_id": "case-2"}).encode()
        return data

    report = await verify_bundle(rewrite(bundle, tmp_path / "x.zip", relabel), [ledger.signer.vkey])
    assert not report.ok
    assert {p.where for p in report.problems} == {"manifest.json"}
    assert "names case case-2 but its entries are of case case-1" in str(report.problems[0])


async def test_a_missing_or_garbled_file_is_reported_by_name(ledger, blobs, tmp_path):
    bundle, _ = await exported(ledger, blobs, tmp_path)
    vkey = [ledger.signer.vkey]
    no_head = rewrite(bundle, tmp_path / "a.zip", lambda n, d: None if n == "head.txt" else d)
    assert [str(p) for p in (await verify_bundle(no_head, vkey)).problems] == [
        "head.txt: missing from the bundle"
    ]
    garbled = rewrite(
        bundle, tmp_path / "b.zip", lambda n, d: b"{not json" if n == "manifest.json" else d
    )
    assert "manifest.json: is not JSON" in [
        str(p) for p in (await verify_bundle(garbled, vkey)).problems
    ]
    not_a_zip = tmp_path / "c.zip"
    not_a_zip.write_bytes(b"PK\x03\x04 nothing more")
    assert "bundle c.zip: unreadable" in str((await verify_bundle(not_a_zip, vkey)).first())


async def test_flipping_any_byte_of_a_bundle_is_reported_never_raised(ledger, blobs, tmp_path):
    bundle, _ = await exported(ledger, blobs, tmp_path)
    original = bundle.read_bytes()
    vkey = [ledger.signer.vkey]
    chance = random.Random(16)
    flipped = tmp_path / "flipped.zip"
    undetected = []
    for case in range(300):
        data = bytearray(original)
        for _ in range(1 + case % 3):
            data[chance.randrange(len(data))] ^= 1 << chance.randrange(8)
        flipped.write_bytes(bytes(data))
        report = await verify_bundle(flipped, vkey)  # must return, whatever the bytes
        if report.ok:
            undetected.append(case)
    # A flip in zip metadata nobody reads (timestamps, extra fields) changes nothing that is
    # verified; every flip in what is verified must be caught.
    assert len(undetected) < 60, undetected


async def test_a_bundle_carries_the_passkeys_its_signatures_need_and_checks_them_offline(
    app_client, another_client, tmp_path
):
    from backend.identity.signatures import bundle_signature_problems, key_rows_for
    from tests.integration.conftest import signed_in
    from tests.integration.identity.people import AGENCY, add_note, open_case, sign

    officer = await signed_in(another_client, "officer", AGENCY)
    case_id = await open_case(another_client, officer)
    proposal = await add_note(another_client, officer, case_id, "拟作出罚款决定")
    approver = await signed_in(app_client, "approver", AGENCY, name="负责人")
    signed = await sign(app_client, approver, approver.authenticator, proposal["hash"])
    assert signed.status_code == 201, signed.text
    ledger = app_client.app.state.ledger
    bundle = tmp_path / "signed.zip"
    keys = await key_rows_for(case_id)
    assert [r["kind"] for r in keys] == ["passkey.registered"]
    await export_case(ledger, app_client.app.state.blobs, case_id, bundle, set(), keys)
    vkey = [ledger.signer.vkey]
    report = await verify_bundle(bundle, vkey, check_signatures=bundle_signature_problems)
    assert report.ok, report.problems

    # Without the registration the approval cannot be checked, and says so.
    stripped = rewrite(
        bundle, tmp_path / "nokeys.zip", lambda n, d: b"" if n == "keys.jsonl" else d
    )
    report = await verify_bundle(stripped, vkey, check_signatures=bundle_signature_problems)
    assert [p.message for p in report.problems] == [
        "signed with a passkey not registered on any agency timeline"
    ]

    # A swapped public key in the carried registration no longer hashes or proves inclusion.
    def swap_key(name: str, data: bytes) -> bytes:
        if name != "keys.jsonl":
            return data
        row = json.loads(data)
        body = json.loads(row["body"])
        body["payload"]["public_key"] = body["payload"]["public_key"][::-1]
        return (json.dumps({**row, "body": json.dumps(body)}) + "\n").encode()

    report = await verify_bundle(
        rewrite(bundle, tmp_path / "swapped.zip", swap_key), vkey,
        check_signatures=bundle_signature_problems,
    )  # fmt: skip
    assert not report.ok
    assert "signed with a passkey not registered" in " ".join(p.message for p in report.problems)


async def test_sm3_digests_travel_beside_sha256_and_are_checked_offline(ledger, blobs, tmp_path):
    from backend.ledger.digests import fill_blob_sm3, sm3_hex

    entries, sha = await a_case_with_a_photo(ledger, blobs)
    # The job computes the photo's SM3 after the upload, once.
    assert await fill_blob_sm3(blobs) == 1
    assert await fill_blob_sm3(blobs) == 0
    bundle = tmp_path / "case-1.zip"
    await export_case(ledger, blobs, "case-1", bundle, held={sha})
    with zipfile.ZipFile(bundle) as zf:
        digests = json.loads(zf.read("sm3.json"))
        photo = zf.read(f"blobs/{sha}")
    assert digests["blobs"] == {sha: sm3_hex(photo)}
    assert set(digests["entries"]) == {e.hash for e in entries}
    vkey = [ledger.signer.vkey]
    assert (await verify_bundle(bundle, vkey)).ok

    def change_digest(name: str, data: bytes) -> bytes:
        if name != "sm3.json":
            return data
        changed = json.loads(data)
        changed["blobs"][sha] = "0" * 64
        return json.dumps(changed).encode()

    report = await verify_bundle(rewrite(bundle, tmp_path / "sm3.zip", change_digest), vkey)
    assert [str(p) for p in report.problems] == [
        "sm3.json: differs from the digests the signed head names",
        f"blob {sha}: SM3 digest differs",
    ]
