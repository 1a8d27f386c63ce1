"""What the supervisor's desk screens need from the API: names for ids, filter choices, filing an
unassigned recording under a case, and export requests in the approvals list with every download
on the timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from backend.identity.staff import create_staff
from tests.integration.conftest import signed_in
from tests.integration.recordings.test_recorder_import import INQUIRY_START, sha_of
from tests.integration.recordings.test_recorder_import import hebei as hebei  # noqa: F401 - fixture
from tests.integration.review.casebook import AGENCY, build_case
from tests.integration.review.test_review_api import passkey_sign
from tests.recorder_files import make_recording


async def test_agency_readers_see_their_colleagues_names_and_units_but_officers_do_not(
    app_client, another_client
):
    await create_staff("s-zhang", AGENCY, "张执法", ["officer"], unit_id="劳动监察大队")
    await create_staff("s-other", "hebei-hrss", "外机关人员", ["officer"])
    approver = await signed_in(app_client, "approver", AGENCY, name="李审批")

    answer = await app_client.get("/api/staff/names", headers=approver)
    assert answer.status_code == 200, answer.text
    staff = {s["name"]: s for s in answer.json()["staff"]}
    assert staff["李审批"]["staff_id"] == approver.staff_id
    assert staff["张执法"]["unit"] == "劳动监察大队"
    assert "外机关人员" not in staff
    assert "劳动监察大队" in {u["unit_id"] for u in answer.json()["units"]}
    assert set(staff["张执法"]) == {"staff_id", "name", "unit_id", "unit", "active"}

    officer = await signed_in(another_client, "officer", AGENCY)
    refused = await another_client.get("/api/staff/names", headers=officer)
    assert refused.status_code == 403


async def test_the_case_filters_offer_the_agencys_units_officers_stages_and_kinds(
    app_client, another_client
):
    await create_staff("s-wang", AGENCY, "王执法", ["officer"], unit_id="仲裁院")
    supervisor = await signed_in(app_client, "supervisor", AGENCY)
    choices = (await app_client.get("/api/review/filters", headers=supervisor)).json()
    assert "start" in choices["stages"] and "penalty" in choices["enforcement_kinds"]
    assert "王执法" in {o["name"] for o in choices["officers"]}
    assert "仲裁院" in {u["unit_id"] for u in choices["units"]}
    officer = await signed_in(another_client, "officer", AGENCY)
    assert (await another_client.get("/api/review/filters", headers=officer)).status_code == 403


async def test_a_supervisor_files_an_unassigned_recording_under_a_case(
    hebei,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    desk = hebei.at(INQUIRY_START - timedelta(hours=2))
    case_id = await desk.open_case("夜间巡查发现的欠薪案")
    video = make_recording(tmp_path / "DSJ_1_20261120_093000.mp4", INQUIRY_START)
    desk.at(INQUIRY_START + timedelta(hours=1))
    assert (await desk.hand_in(video)).status_code == 201
    sha = sha_of(video)

    desk.as_("S001", "supervisor")
    unassigned = (await desk.client.get("/api/recordings?unassigned=true")).json()
    assert sha in {r["sha256"] for r in unassigned}
    # Replayed before filing it: the whole file, and a seek into it.
    played = await desk.client.get(f"/api/blobs/{sha}")
    assert played.status_code == 200 and played.content == video.read_bytes()
    assert played.headers["content-type"].startswith("video/mp4")
    seek = await desk.client.get(f"/api/blobs/{sha}", headers={"range": "bytes=10-19"})
    assert seek.status_code == 206 and seek.content == video.read_bytes()[10:20]
    missing = await desk.client.get(f"/api/blobs/{'0' * 64}")
    assert missing.status_code == 404
    body = {"case_id": case_id, "client_id": str(uuid.uuid4())}
    linked = await desk.client.post(f"/api/review/recordings/{sha}/links", json=body)
    assert linked.status_code == 201, linked.text
    assert linked.json()["kind"] == "recording.linked"
    assert linked.json()["actor"] == "S001"
    assert sha not in {
        r["sha256"] for r in (await desk.client.get("/api/recordings?unassigned=true")).json()
    }

    desk.as_("E002", "officer")
    refused = await desk.client.post(
        f"/api/review/recordings/{sha}/links", json={**body, "client_id": str(uuid.uuid4())}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    # An officer who is on no case holding it does not get the file, nor learn it exists.
    assert (await desk.client.get(f"/api/blobs/{sha}")).status_code == 404


async def test_export_requests_wait_for_approval_and_each_download_is_on_the_timeline(
    app_client, another_client, tmp_path
):
    supervisor = await signed_in(app_client, "supervisor", AGENCY)
    approver = await signed_in(another_client, "approver", AGENCY)
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    built = await build_case(ledger, blobs, tmp_path, at=datetime(2025, 3, 3, tzinfo=UTC))
    request = await app_client.post(
        f"/api/cases/{built.case_id}/exports",
        json={"scope": "export", "purpose": "移送法院", "recipient": "衡阳市中级人民法院",
              "client_id": "req-desk"}, headers=supervisor,
    )  # fmt: skip
    assert request.status_code == 201, request.text
    waiting = (await another_client.get("/api/review/approvals", headers=approver)).json()
    assert request.json()["hash"] in {w["entry_hash"] for w in waiting}

    signed = await passkey_sign(another_client, approver, request.json()["hash"], "approve_export")
    assert signed.status_code == 201, signed.text
    waiting = (await another_client.get("/api/review/approvals", headers=approver)).json()
    assert request.json()["hash"] not in {w["entry_hash"] for w in waiting}

    permission = (await app_client.get(f"/api/cases/{built.case_id}/exports/permission")).json()
    made = await app_client.post(
        f"/api/cases/{built.case_id}/dossier",
        json={"client_id": "d-desk", "approval": permission["permission"]}, headers=supervisor,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert (await app_client.get(made.json()["pdf_url"])).status_code == 200
    assert (await app_client.get(made.json()["bundle_url"])).status_code == 200
    timeline = (await app_client.get(f"/api/cases/{built.case_id}/timeline?limit=1000")).json()
    copies = [
        e["payload"]
        for e in timeline["entries"]
        if e["kind"] == "access.viewed" and e["payload"]["action"] == "copy"
    ]
    assert {c["what"].split()[0] for c in copies} == {"dossier.pdf", "dossier.zip"}
    assert all(c["staff_id"] == supervisor.staff_id for c in copies)


async def test_the_retention_desk_lists_holds_and_batches_as_they_move_along(
    app_client, another_client, tmp_path
):
    supervisor = await signed_in(app_client, ["supervisor", "archivist"], AGENCY)
    approver = await signed_in(another_client, "approver", AGENCY)
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    old = await build_case(ledger, blobs, tmp_path, at=datetime(2020, 3, 2, 1, tzinfo=UTC))
    kept = await build_case(ledger, blobs, tmp_path, at=datetime(2020, 3, 2, 1, tzinfo=UTC))

    placed = await app_client.post(
        f"/api/cases/{kept.case_id}/holds",
        json={"client_id": "h-1", "reason": "当事人已提起行政诉讼"}, headers=supervisor,
    )  # fmt: skip
    assert placed.status_code == 201, placed.text
    holds = (await app_client.get("/api/review/holds")).json()
    assert [(h["case_id"], h["reason"]) for h in holds] == [(kept.case_id, "当事人已提起行政诉讼")]
    assert holds[0]["placed_by"] == supervisor.staff_id

    batch = await app_client.post(
        "/api/review/disposals", json={"client_id": "b-desk", "reason": "保存期限届满"},
        headers=supervisor,
    )  # fmt: skip
    assert batch.status_code == 201, batch.text
    assert {b["case_id"] for b in batch.json()["payload"]["blobs"]} == {old.case_id}
    listed = (await app_client.get("/api/review/disposals")).json()
    assert [(b["batch"], b["status"]) for b in listed] == [(batch.json()["hash"], "waiting")]

    signed = await passkey_sign(another_client, approver, batch.json()["hash"], "approve_disposal")
    assert signed.status_code == 201, signed.text
    assert (await app_client.get("/api/review/disposals")).json()[0]["status"] == "approved"
    done = await app_client.post(
        f"/api/review/disposals/{batch.json()['hash']}/execute", headers=supervisor
    )
    assert done.status_code == 200, done.text
    listed = (await app_client.get("/api/review/disposals")).json()
    assert listed[0]["status"] == "disposed" and listed[0]["approved_by"] == approver.staff_id

    released = await app_client.post(
        f"/api/cases/{kept.case_id}/holds/{placed.json()['hash']}/release",
        json={"client_id": "r-1", "reason": "诉讼已终结"}, headers=supervisor,
    )  # fmt: skip
    assert released.status_code == 201, released.text
    assert (await app_client.get("/api/review/holds")).json() == []

    officer = await signed_in(another_client, "officer", AGENCY)
    for path in ("/api/review/holds", "/api/review/disposals"):
        assert (await another_client.get(path, headers=officer)).status_code == 403
