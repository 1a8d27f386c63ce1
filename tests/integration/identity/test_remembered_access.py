"""Sessions and case teams are remembered between requests, never past a change to them.

The server keeps who is behind a session and who is on a case for a moment, so that an append
does not ask the database twice before it writes. Each story here first makes the answer
remembered (a request that succeeds), then changes it, then asks again at once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from backend.identity import access, remembered, sessions
from backend.identity.tables import WebSession
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, open_case


def note() -> dict:
    return {"kind": "note", "client_id": str(uuid.uuid4()), "payload": {"text": "现场检查记录"}}


async def test_an_officer_taken_off_a_case_cannot_write_on_it_the_moment_after(
    app_client, another_client
):
    handler = await signed_in(app_client, "officer", AGENCY, name="张执法")
    colleague = await signed_in(another_client, "officer", AGENCY, name="李执法")
    case_id = await open_case(app_client, handler, officers=[colleague.staff_id])
    written = await another_client.post(
        f"/api/cases/{case_id}/entries", json=note(), headers=colleague
    )
    assert written.status_code == 201, written.text

    removed = await app_client.post(
        f"/api/cases/{case_id}/members/{colleague.staff_id}/remove",
        json={"reason": "调岗", "client_id": str(uuid.uuid4())},
        headers=handler,
    )
    assert removed.status_code == 201, removed.text

    refused = await another_client.post(
        f"/api/cases/{case_id}/entries", json=note(), headers=colleague
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_member"
    read = await another_client.get(f"/api/cases/{case_id}/timeline")
    assert read.status_code == 403


async def test_an_officer_added_to_a_case_can_write_on_it_at_once(app_client, another_client):
    handler = await signed_in(app_client, "officer", AGENCY, name="张执法")
    newcomer = await signed_in(another_client, "officer", AGENCY, name="王执法")
    case_id = await open_case(app_client, handler)
    refused = await another_client.post(
        f"/api/cases/{case_id}/entries", json=note(), headers=newcomer
    )
    assert refused.status_code == 403

    added = await app_client.post(
        f"/api/cases/{case_id}/members",
        json={"staff_id": newcomer.staff_id, "role": "officer", "client_id": str(uuid.uuid4())},
        headers=handler,
    )
    assert added.status_code == 201, added.text
    written = await another_client.post(
        f"/api/cases/{case_id}/entries", json=note(), headers=newcomer
    )
    assert written.status_code == 201, written.text


async def test_a_signed_out_session_is_refused_at_once(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    cookie = app_client.cookies["casetrail_session"]
    assert (
        await app_client.post(f"/api/cases/{case_id}/entries", json=note(), headers=officer)
    ).status_code == 201

    assert (await app_client.delete("/api/session", headers=officer)).status_code == 204
    app_client.cookies.set("casetrail_session", cookie)  # someone kept the old cookie
    again = await app_client.post(f"/api/cases/{case_id}/entries", json=note(), headers=officer)
    assert again.status_code == 401


async def test_a_deactivated_officer_is_refused_at_once(app_client, another_client):
    officer = await signed_in(another_client, "officer", AGENCY, name="离职赵")
    case_id = await open_case(another_client, officer)
    assert (
        await another_client.post(f"/api/cases/{case_id}/entries", json=note(), headers=officer)
    ).status_code == 201

    admin = await signed_in(app_client, "admin", AGENCY)
    gone = await app_client.post(
        f"/api/staff/{officer.staff_id}/deactivate",
        json={"client_id": str(uuid.uuid4()), "reason": "离职"},
        headers=admin,
    )
    assert gone.status_code == 200, gone.text
    again = await another_client.post(f"/api/cases/{case_id}/entries", json=note(), headers=officer)
    assert again.status_code == 401


async def test_a_role_taken_away_by_an_admin_is_gone_at_once(app_client, another_client):
    supervisor = await signed_in(another_client, ["officer", "supervisor"], AGENCY, name="监督钱")
    assert (await another_client.get("/api/review/cases")).status_code == 200

    admin = await signed_in(app_client, "admin", AGENCY)
    changed = await app_client.patch(
        f"/api/staff/{supervisor.staff_id}",
        json={"client_id": str(uuid.uuid4()), "roles": ["officer"]},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert (await another_client.get("/api/review/cases")).status_code == 403


async def test_a_session_ended_by_another_server_is_refused_within_a_second(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    assert (await app_client.get(f"/api/cases/{case_id}/timeline")).status_code == 200

    # Another worker (or `casetrail` on the command line) ends it: only the database knows.
    await WebSession.update({WebSession.revoked_at: datetime.now(UTC)}).where(
        WebSession.staff_id == officer.staff_id
    )
    deadline = time.monotonic() + remembered.REMEMBER_S + 2
    while (status := (await app_client.get(f"/api/cases/{case_id}/timeline")).status_code) == 200:
        assert time.monotonic() < deadline, "a session ended elsewhere was still accepted"
    assert status == 401


async def test_an_officer_at_work_never_waits_for_the_session_and_team_queries(
    app_client, monkeypatch
):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    now = [time.monotonic()]
    monkeypatch.setattr(remembered, "time", SimpleNamespace(monotonic=lambda: now[0]))
    append = f"/api/cases/{case_id}/entries"
    assert (await app_client.post(append, json=note(), headers=officer)).status_code == 201

    # The database answers only when the story lets it: a request that waited would hang.
    answer = asyncio.Event()
    asked: list[str] = []
    for module, name in ((sessions, "_asked"), (access, "_projected_access")):
        real = getattr(module, name)

        async def held(*args, _real=real, _name=name, **kwargs):
            asked.append(_name)
            await answer.wait()
            return await _real(*args, **kwargs)

        monkeypatch.setattr(module, name, held)

    due = (remembered.REFRESH_AFTER_S + remembered.REMEMBER_S) / 2  # due, not past its time
    now[0] += due
    async with asyncio.timeout(5):
        written = await app_client.post(append, json=note(), headers=officer)
    assert written.status_code == 201, written.text
    assert sorted(asked) == ["_asked", "_projected_access"], "both asked again, in the background"
    answer.set()
    await remembered.refreshed()

    now[0] += remembered.REFRESH_AFTER_S / 2  # the first answers' time is up; the fresh ones hold
    asked.clear()
    assert (await app_client.post(append, json=note(), headers=officer)).status_code == 201
    assert asked == []

    # Ended by another server: still within its second when the refresh finds out, then refused.
    await WebSession.update({WebSession.revoked_at: datetime.now(UTC)}).where(
        WebSession.staff_id == officer.staff_id
    )
    now[0] += due - remembered.REFRESH_AFTER_S / 2
    assert (await app_client.post(append, json=note(), headers=officer)).status_code == 201
    await remembered.refreshed()
    refused = await app_client.post(append, json=note(), headers=officer)
    assert refused.status_code == 401
