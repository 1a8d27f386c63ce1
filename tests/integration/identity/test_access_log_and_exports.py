"""Every view is logged; copies and exports need the unit head's passkey approval; secrets stay hidden."""

from __future__ import annotations

import uuid

from backend.identity.exports import export_permission
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, add_note, open_case, sign


async def entries_of(client, case_id, kind):
    page = (await client.get(f"/api/cases/{case_id}/timeline?limit=1000")).json()
    return [e for e in page["entries"] if e["kind"] == kind]


async def test_reading_a_timeline_logs_who_from_where_once_per_window(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    for _ in range(3):
        assert (await app_client.get(f"/api/cases/{case_id}/timeline")).status_code == 200
    views = await entries_of(app_client, case_id, "access.viewed")
    assert len(views) == 1
    view = views[0]
    assert view["actor"] == officer.staff_id
    assert view["payload"]["action"] == "timeline" and view["payload"]["ip"]
    assert "user_agent" in view["payload"]


async def test_reading_a_timeline_again_in_the_window_does_not_wait_for_a_commit(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    ledger = app_client.app.state.ledger
    logged: list[str] = []
    append = ledger.append

    async def counting(draft):
        logged.append(draft.kind)
        return await append(draft)

    ledger.append = counting
    try:
        for _ in range(3):
            assert (await app_client.get(f"/api/cases/{case_id}/timeline")).status_code == 200
    finally:
        ledger.append = append
    assert logged == ["access.viewed"]  # the first read logged it; the others knew it was held


async def test_copy_needs_the_unit_heads_passkey_approval(app_client, another_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    record = (await add_note(app_client, officer, case_id, "询问笔录"))["hash"]
    wanted = {"items": [record], "recipient": "王某（当事人）"}
    refused = await app_client.post(f"/api/cases/{case_id}/copies", json=wanted, headers=officer)
    assert refused.status_code == 403 and refused.json()["code"] == "approval_required"
    request = await app_client.post(
        f"/api/cases/{case_id}/exports",
        json={"scope": "copy", "purpose": "当事人申请复制", "client_id": "req-1", **wanted},
        headers=officer,
    )
    assert request.status_code == 201
    # The officer cannot approve their own request; the approver signs it with a passkey.
    own = await sign(
        app_client, officer, officer.authenticator, request.json()["hash"], "approve_export"
    )
    assert own.status_code == 403
    head = await signed_in(another_client, "approver", AGENCY)
    approval = await sign(
        another_client, head, head.authenticator, request.json()["hash"], "approve_export"
    )
    assert approval.status_code == 201, approval.text
    permission = await export_permission(case_id, officer.staff_id, "copy")
    assert permission is not None and permission.payload["approver"] == head.staff_id
    copied = await app_client.post(f"/api/cases/{case_id}/copies", json=wanted, headers=officer)
    assert copied.status_code == 201 and copied.json()["permission"] == permission.hash
    logged = [
        e for e in await entries_of(app_client, case_id, "access.viewed")
        if e["payload"]["action"] == "copy"
    ]  # fmt: skip
    assert logged and logged[0]["payload"]["permission"] == permission.hash
    status = (await app_client.get(f"/api/cases/{case_id}/exports/permission?scope=copy")).json()
    assert status["allowed"] is True


async def test_a_secret_record_is_a_stub_for_staff_without_clearance(app_client, another_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    supervisor = await signed_in(another_client, "supervisor", AGENCY)
    case_id = await open_case(app_client, officer)
    secret = await app_client.post(
        f"/api/cases/{case_id}/entries",
        json={
            "kind": "record.complaint_handling",
            "client_id": str(uuid.uuid4()),
            "payload": {
                "decision": "open",
                "reason": "举报人身份保密",
                "reply_method": "phone",
                "confidentiality": "secret",
            },
        },
        headers=officer,
    )
    assert secret.status_code == 201, secret.text
    seen = [
        e for e in (await another_client.get(f"/api/cases/{case_id}/timeline")).json()["entries"]
        if e["hash"] == secret.json()["hash"]
    ][0]  # fmt: skip
    assert seen["payload"] == {"confidentiality": "secret", "redacted": True}
    assert seen["seq"] == secret.json()["seq"] and seen["prev_hash"] == secret.json()["prev_hash"]
    # The author sees it whole; so does a supervisor once cleared by an admin.
    own = (await app_client.get(f"/api/cases/{case_id}/timeline")).json()["entries"]
    assert any(e["payload"].get("reason") == "举报人身份保密" for e in own)
    from backend.identity import remembered
    from backend.identity.tables import Staff

    await Staff.update({Staff.clearances: '["secret"]'}).where(
        Staff.staff_id == supervisor.staff_id
    )
    remembered.forget_sessions()  # as an admin's change does (staff.change_staff)
    cleared = (await another_client.get(f"/api/cases/{case_id}/timeline")).json()["entries"]
    assert any(e["payload"].get("reason") == "举报人身份保密" for e in cleared)


async def test_note_entries_stay_readable(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    note = await add_note(app_client, officer, case_id)
    assert note["payload"]["text"]
