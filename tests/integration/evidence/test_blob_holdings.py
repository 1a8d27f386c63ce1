"""Who holds a blob: an entry names only files its own case holds, exports carry only those, and
another agency can neither borrow an agency's evidence nor dispose of it.

Two agencies, everyone signed in through the real passkey flow. "Old" entries that name a foreign
hash are appended straight through the ledger: they model data written before appends were checked.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from backend.export.exports import gather
from backend.ledger.bundle import verify_bundle
from backend.ledger.entry import Draft
from backend.ledger.verify import verify_database
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY as OURS
from tests.integration.identity.people import OTHER as THEIRS
from tests.integration.identity.people import open_case
from tests.integration.review.casebook import received_at
from tests.integration.review.test_review_api import passkey_sign
from tests.integration.uploads import upload_media

NOW = datetime.now(UTC)
IN_2020 = datetime(2020, 3, 2, 1, 0, tzinfo=UTC)


def photo(colour: tuple[int, int, int] = (30, 60, 90)) -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (26.0, 53.0, 48.0), 3: "E", 4: (112.0, 34.0, 19.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG", exif=exif)
    return out.getvalue()


def claimed(at: datetime = NOW) -> dict:
    return {"time": at.isoformat().replace("+00:00", "Z"), "clock_offset_ms": 0, "geo": None}


async def our_photo_in_a_case(client, colour=(30, 60, 90)) -> tuple[str, str]:
    """An officer of ours photographs something in a case of ours: (case id, photo hash)."""
    officer = await signed_in(client, "officer", OURS)
    case_id = await open_case(client, officer)
    entry = await upload_media(client, officer, case_id, photo(colour), claimed=claimed())
    return case_id, entry["payload"]["sha256"]


def entry(kind: str, payload: dict, blobs=(), at: datetime = NOW) -> dict:
    return {"kind": kind, "client_id": str(uuid.uuid4()), "payload": payload,
            "claimed": claimed(at), "blobs": list(blobs)}  # fmt: skip


def inspection(signature_blob: str | None = None) -> dict:
    signature = {"role": "officer", "name": "张执法", "method": "drawn"}
    if signature_blob:
        signature["blob"] = signature_blob
    return {"target": "某劳务公司", "findings": "现场检查，未见异常。", "signatures": [signature]}


async def written(client, case_id: str) -> list[str]:
    """What officers wrote on a timeline (reading it adds `access.viewed` entries of its own)."""
    page = (await client.get(f"/api/cases/{case_id}/timeline?limit=1000")).json()
    return [e["hash"] for e in page["entries"] if not e["kind"].startswith("access.")]


async def planted(ledger, case_id: str, sha: str, at: datetime = NOW) -> None:
    """A note naming `sha`, written the way the generic route accepted it before it was checked."""
    await ledger.append(
        Draft(case_id, "note", str(uuid.uuid4()), {"text": "照片"}, actor="someone",
              claimed=claimed(at), blobs=(sha,))
    )  # fmt: skip


async def test_another_agency_cannot_name_our_photo_and_nothing_is_appended(
    app_client, another_client
):
    _, ours = await our_photo_in_a_case(app_client)
    them = await signed_in(another_client, "officer", THEIRS)
    their_case = await open_case(another_client, them)
    before = await written(another_client, their_case)

    attempts = [
        (their_case, entry("note", {"text": "借用照片"}, blobs=[ours])),
        (their_case, entry("record.onsite_inspection", inspection(signature_blob=ours))),
        (f"agency:{THEIRS}", entry("note", {"text": "巡查照片"}, blobs=[ours], at=IN_2020)),
    ]
    for case_id, body in attempts:
        refused = await another_client.post(
            f"/api/cases/{case_id}/entries", json=body, headers=them
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "blob_not_in_case"
    malformed = await another_client.post(
        f"/api/cases/{their_case}/entries",
        json=entry("note", {"text": "x"}, blobs=["not-a-hash"]),
        headers=them,
    )
    assert malformed.status_code == 400, malformed.text

    assert await written(another_client, their_case) == before
    assert (await another_client.get(f"/api/blobs/{ours}")).status_code in (403, 404)


async def test_an_officer_names_photos_of_the_same_case_in_blobs_and_in_photo_fields(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", OURS)
    case_id = await open_case(app_client, officer)
    scene = await upload_media(app_client, officer, case_id, photo(), claimed=claimed())
    drawn = await upload_media(app_client, officer, case_id, photo((200, 10, 10)),
                               claimed=claimed(), filename="signature.jpg")  # fmt: skip
    scene_sha, drawn_sha = scene["payload"]["sha256"], drawn["payload"]["sha256"]

    record = await app_client.post(
        f"/api/cases/{case_id}/entries",
        json=entry("record.onsite_inspection", inspection(signature_blob=drawn_sha),
                   blobs=[scene_sha]),
        headers=officer,
    )  # fmt: skip
    assert record.status_code == 201, record.text
    assert record.json()["blobs"] == [scene_sha]

    # The same agency's other case does not hold them either: a case holds what reached it.
    other_case = await open_case(app_client, officer, title="另一案件")
    elsewhere = await app_client.post(
        f"/api/cases/{other_case}/entries",
        json=entry("note", {"text": "引用"}, blobs=[scene_sha]),
        headers=officer,
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "blob_not_in_case"


async def test_a_document_generated_for_the_case_can_be_named_by_its_records(app_client):
    officer = await signed_in(app_client, "officer", OURS)
    case_id = await open_case(app_client, officer)
    decision = await app_client.post(
        f"/api/cases/{case_id}/entries",
        json=entry("record.decision", {
            "document_number": "蒸人社监罚〔2026〕7号", "party": "某劳务公司",
            "facts_and_evidence": "经查，该公司拖欠工资。", "legal_basis": "《劳动保障监察条例》第二十六条",
            "outcome": "责令支付拖欠工资", "fine_amount": 2000,
            "remedies": "如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。",
            "agency_name": "衡阳市蒸湘区人力资源和社会保障局", "decided_on": "2026-03-10",
        }),
        headers=officer,
    )  # fmt: skip
    assert decision.status_code == 201, decision.text
    letter = await app_client.post(
        f"/api/cases/{case_id}/documents",
        json={"client_id": str(uuid.uuid4()), "document_kind": "decision_letter",
              "renders": decision.json()["hash"]},
        headers=officer,
    )  # fmt: skip
    assert letter.status_code == 201, letter.text
    [pdf] = letter.json()["blobs"]
    named = await app_client.post(
        f"/api/cases/{case_id}/entries",
        json=entry("note", {"text": "决定书已送达"}, blobs=[pdf]),
        headers=officer,
    )
    assert named.status_code == 201, named.text


async def test_another_agencys_export_carries_none_of_our_originals(
    app_client, another_client, tmp_path
):
    _, ours = await our_photo_in_a_case(app_client)
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    officer = await signed_in(app_client, "officer", THEIRS)
    their_case = await open_case(app_client, officer)
    theirs = await upload_media(app_client, officer, their_case, photo((0, 200, 0)),
                                claimed=claimed())  # fmt: skip
    their_sha = theirs["payload"]["sha256"]
    await planted(ledger, their_case, ours)

    archivist = await signed_in(app_client, "archivist", THEIRS)
    approver = await signed_in(another_client, "approver", THEIRS)
    request = await app_client.post(
        f"/api/cases/{their_case}/exports",
        json={"scope": "export", "purpose": "法院调卷", "client_id": "req-1"}, headers=archivist,
    )  # fmt: skip
    assert request.status_code == 201, request.text
    signed = await passkey_sign(another_client, approver, request.json()["hash"], "approve_export")
    assert signed.status_code == 201, signed.text
    timeline = (await app_client.get(f"/api/cases/{their_case}/timeline?limit=1000")).json()
    approval = next(e for e in timeline["entries"] if e["kind"] == "export.approved")
    made = await app_client.post(
        f"/api/cases/{their_case}/dossier",
        json={"client_id": "d-1", "approval": approval["hash"]}, headers=archivist,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    bundle = await app_client.get(made.json()["bundle_url"])
    assert bundle.status_code == 200
    path = Path(tmp_path / "bundle.zip")
    path.write_bytes(bundle.content)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert f"blobs/{their_sha}" in names  # their own photo travels
    assert f"blobs/{ours}" not in names
    assert manifest["blobs"] == [their_sha] and manifest["withheld"] == [ours]
    report = await verify_bundle(path, [app_client.app.state.ledger.signer.vkey])
    assert report.ok, [str(p) for p in report.problems]

    dossier = await gather(ledger, blobs, their_case, "casetrail-blobs")
    assert ours not in dossier.blobs
    pdf = await app_client.get(made.json()["pdf_url"])
    original = b"".join([chunk async for chunk in blobs.open(ours)])
    assert original not in pdf.content


async def test_another_agency_cannot_get_our_photo_disposed_by_planting_it_with_an_old_time(
    app_client, another_client, tmp_path
):
    our_case, ours = await our_photo_in_a_case(app_client)
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs

    # Their own patrol photo, received in 2020: past the six months patrol footage is kept.
    old_bytes = photo((90, 90, 0))
    old = hashlib.sha256(old_bytes).hexdigest()
    (tmp_path / old).write_bytes(old_bytes)
    await blobs.put_file(tmp_path / old, old)
    with received_at(ledger, IN_2020):
        await ledger.append(
            Draft(f"agency:{THEIRS}", "media.photo", str(uuid.uuid4()),
                  {"sha256": old, "media_type": "image/jpeg", "size": len(old_bytes),
                   "findings": []},
                  actor="them", claimed=claimed(IN_2020), blobs=(old,))
        )  # fmt: skip
    # Their photo received today that the device says was taken in 2020: not due.
    officer = await signed_in(app_client, "officer", THEIRS)
    recent = await upload_media(app_client, officer, f"agency:{THEIRS}", photo((1, 2, 3)),
                                claimed=claimed(IN_2020))  # fmt: skip
    # Our photo named on their timeline "in 2020", as the generic route once accepted it.
    await planted(ledger, f"agency:{THEIRS}", ours, at=IN_2020)

    supervisor = await signed_in(app_client, ["supervisor", "archivist"], THEIRS)
    approver = await signed_in(another_client, "approver", THEIRS)
    batch = await app_client.post(
        "/api/review/disposals", json={"client_id": "b-1", "reason": "保存期限届满"},
        headers=supervisor,
    )  # fmt: skip
    assert batch.status_code == 201, batch.text
    listed = {b["sha256"] for b in batch.json()["payload"]["blobs"]}
    assert listed == {old}
    signed = await passkey_sign(another_client, approver, batch.json()["hash"], "approve_disposal")
    assert signed.status_code == 201, signed.text
    done = await app_client.post(
        f"/api/review/disposals/{batch.json()['hash']}/execute", headers=supervisor
    )
    assert done.status_code == 200, done.text
    assert done.json()["disposed"] == [old]

    assert await blobs.exists(ours)
    assert await blobs.exists(recent["payload"]["sha256"])
    assert not await blobs.exists(old)
    await ledger.checkpoint()
    report = await verify_database(ledger, blobs, case_id=our_case)
    assert report.ok, [str(p) for p in report.problems]


async def test_a_file_both_agencies_hold_goes_only_when_neither_still_needs_it(
    app_client, another_client, tmp_path
):
    our_case, ours = await our_photo_in_a_case(app_client)
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    # The same bytes reached their timeline in 2020 too (the same picture, sent to both).
    with received_at(ledger, IN_2020):
        await ledger.append(
            Draft(f"agency:{THEIRS}", "media.photo", str(uuid.uuid4()),
                  {"sha256": ours, "media_type": "image/jpeg", "size": 1, "findings": []},
                  actor="them", claimed=claimed(IN_2020), blobs=(ours,))
        )  # fmt: skip
    supervisor = await signed_in(app_client, ["supervisor", "archivist"], THEIRS)
    refused = await app_client.post(
        "/api/review/disposals", json={"client_id": "b-1", "reason": "保存期限届满"},
        headers=supervisor,
    )  # fmt: skip
    # Due on their timeline, but our open case still holds it: nothing is due.
    assert refused.status_code == 400 and refused.json()["code"] == "nothing_due"
    assert await blobs.exists(ours)
    report = await verify_database(ledger, blobs, case_id=our_case)
    assert report.ok, [str(p) for p in report.problems]
