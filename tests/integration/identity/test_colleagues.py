"""Officers pick colleagues from their own agency's directory, and ask them to sign on their own phones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient

from backend.identity.tables import Staff
from backend.notify import sending
from backend.notify.recipients import messages_for
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER, add_note, log_size, open_case, sign


@pytest.fixture
async def third_client(app_client) -> AsyncIterator:
    """A third person's browser (another agency's officer, a stranger ...)."""
    async with AsyncClient(
        transport=ASGITransport(app=app_client.app), base_url="http://localhost:8000"
    ) as other:
        other.app = app_client.app  # type: ignore[attr-defined]
        yield other


async def test_an_officer_sees_the_active_colleagues_of_their_own_agency_only(
    app_client, another_client
):
    zhang = await signed_in(app_client, "officer", AGENCY, name="张")
    li = await signed_in(another_client, "officer", AGENCY, name="李")
    await Staff.update({Staff.unit_id: "监察一科", Staff.cert_number: "湘A0001"}).where(
        Staff.staff_id == li.staff_id
    )
    outsider = await signed_in(another_client, "officer", OTHER, name="外局王")

    listed = await app_client.get("/api/staff/directory", headers=zhang)

    assert listed.status_code == 200, listed.text
    rows = {r["staff_id"]: r for r in listed.json()}
    assert set(rows) == {zhang.staff_id, li.staff_id}
    assert rows[li.staff_id] == {
        "staff_id": li.staff_id,
        "name": "李",
        "unit_id": "监察一科",
        "cert_number": "湘A0001",
        "roles": ["officer"],
    }
    assert outsider.staff_id not in rows
    # The other agency's officer sees only their own agency, never ours.
    theirs = (await another_client.get("/api/staff/directory", headers=outsider)).json()
    assert [r["staff_id"] for r in theirs] == [outsider.staff_id]


async def test_a_deactivated_colleague_is_not_offered(app_client, another_client):
    zhang = await signed_in(app_client, "officer", AGENCY, name="张")
    gone = await signed_in(another_client, "officer", AGENCY, name="离职赵")
    await Staff.update({Staff.active: False}).where(Staff.staff_id == gone.staff_id)
    listed = (await app_client.get("/api/staff/directory", headers=zhang)).json()
    assert gone.staff_id not in {r["staff_id"] for r in listed}


async def test_the_directory_needs_a_signed_in_staff_member(app_client):
    assert (await app_client.get("/api/staff/directory")).status_code == 401


async def test_the_case_team_shows_names_and_certificate_numbers(app_client, another_client):
    zhang = await signed_in(app_client, "officer", AGENCY, name="张")
    li = await signed_in(another_client, "officer", AGENCY, name="李")
    await Staff.update({Staff.cert_number: "湘A0002"}).where(Staff.staff_id == li.staff_id)
    case_id = await open_case(app_client, zhang, officers=[li.staff_id])

    team = (await app_client.get(f"/api/cases/{case_id}/members", headers=zhang)).json()

    assert {(m["name"], m["role"], m["cert_number"]) for m in team} == {
        ("张", "handler", None),
        ("李", "officer", "湘A0002"),
    }


async def test_an_officer_of_another_agency_cannot_be_put_on_a_case(app_client, another_client):
    zhang = await signed_in(app_client, "officer", AGENCY, name="张")
    outsider = await signed_in(another_client, "officer", OTHER, name="外局王")
    case_id = await open_case(app_client, zhang)
    before = await log_size(app_client)

    added = await app_client.post(
        f"/api/cases/{case_id}/members",
        json={"staff_id": outsider.staff_id, "role": "officer", "client_id": "m-1"},
        headers=zhang,
    )

    assert added.status_code == 404 and added.json()["code"] == "staff_not_found"
    assert await log_size(app_client) == before


async def colleague_asked_to_sign(app_client, another_client):
    zhang = await signed_in(app_client, "officer", AGENCY, name="张")
    li = await signed_in(another_client, "officer", AGENCY, name="李")
    case_id = await open_case(app_client, zhang, officers=[li.staff_id], title="某工地欠薪案")
    record = await add_note(app_client, zhang, case_id, "现场检查笔录")
    asked = await app_client.post(
        f"/api/entries/{record['hash']}/signatures/requests",
        json={"signer": li.staff_id},
        headers=zhang,
    )
    assert asked.status_code == 201, asked.text
    return zhang, li, case_id, record, asked.json()


async def test_a_colleague_asked_to_co_sign_finds_it_on_their_own_phone_and_signs_it_there(
    app_client, another_client
):
    zhang, li, case_id, record, asked = await colleague_asked_to_sign(app_client, another_client)
    assert asked["kind"] == "signature.requested" and asked["actor"] == zhang.staff_id

    waiting = (await another_client.get("/api/signatures/to-sign", headers=li)).json()
    assert [
        (w["signs"], w["case_title"], w["requested_by_name"], w["meaning"]) for w in waiting
    ] == [(record["hash"], "某工地欠薪案", "张", "co_sign")]
    assert waiting[0]["signed_kind"] == "note"
    # Nothing waits on the asker's own list.
    assert (await app_client.get("/api/signatures/to-sign", headers=zhang)).json() == []

    signed = await sign(another_client, li, li.authenticator, record["hash"], meaning="co_sign")
    assert signed.status_code == 201, signed.text
    assert (await another_client.get("/api/signatures/to-sign", headers=li)).json() == []


async def test_asking_twice_is_one_request(app_client, another_client):
    zhang, li, case_id, record, asked = await colleague_asked_to_sign(app_client, another_client)
    again = await app_client.post(
        f"/api/entries/{record['hash']}/signatures/requests",
        json={"signer": li.staff_id},
        headers=zhang,
    )
    assert again.status_code == 201 and again.json()["hash"] == asked["hash"]
    assert len((await another_client.get("/api/signatures/to-sign", headers=li)).json()) == 1


async def test_only_a_colleague_on_the_case_can_be_asked(app_client, another_client, third_client):
    zhang = await signed_in(app_client, "officer", AGENCY, name="张")
    stranger = await signed_in(another_client, "officer", AGENCY, name="王")
    outsider = await signed_in(third_client, "officer", OTHER, name="外局赵")
    case_id = await open_case(app_client, zhang)
    record = await add_note(app_client, zhang, case_id)
    before = await log_size(app_client)

    for signer, status, code in (
        (stranger.staff_id, 403, "not_member"),
        (outsider.staff_id, 403, "not_member"),
        ("s-nobody", 403, "not_member"),
        (zhang.staff_id, 400, "self_request"),
    ):
        answer = await app_client.post(
            f"/api/entries/{record['hash']}/signatures/requests",
            json={"signer": signer},
            headers=zhang,
        )
        assert (answer.status_code, answer.json()["code"]) == (status, code), signer
    bad = await app_client.post(
        f"/api/entries/{record['hash']}/signatures/requests",
        json={"signer": stranger.staff_id, "meaning": "approve"},
        headers=zhang,
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_meaning")
    assert await log_size(app_client) == before


async def test_another_agency_cannot_ask_for_signatures_on_our_records(
    app_client, another_client, third_client
):
    zhang, li, case_id, record, _ = await colleague_asked_to_sign(app_client, another_client)
    outsider = await signed_in(third_client, "officer", OTHER, name="外局赵")
    before = await log_size(app_client)
    answer = await third_client.post(
        f"/api/entries/{record['hash']}/signatures/requests",
        json={"signer": li.staff_id},
        headers=outsider,
    )
    assert answer.status_code in (403, 404)
    assert await log_size(app_client) == before
    # Nor does our request show on their list.
    assert (await third_client.get("/api/signatures/to-sign", headers=outsider)).json() == []


async def test_a_colleague_taken_off_the_case_no_longer_sees_the_request(
    app_client, another_client
):
    zhang, li, case_id, record, _ = await colleague_asked_to_sign(app_client, another_client)
    removed = await app_client.post(
        f"/api/cases/{case_id}/members/{li.staff_id}/remove",
        json={"reason": "调岗", "client_id": "rm-1"},
        headers=zhang,
    )
    assert removed.status_code == 201, removed.text
    assert (await another_client.get("/api/signatures/to-sign", headers=li)).json() == []


async def test_the_request_is_pushed_to_the_colleagues_phone_only(app_client, another_client):
    zhang, li, case_id, record, asked = await colleague_asked_to_sign(app_client, another_client)
    for who in (zhang, li):
        await sending.subscribe(
            endpoint=f"https://push.example/{who.staff_id}", p256dh="k", auth="a",
            staff_id=who.staff_id, agency_id=AGENCY, roles=["officer"],
        )  # fmt: skip
    ledger = app_client.app.state.ledger

    pushes = await messages_for(ledger, await ledger.get(asked["hash"]))

    assert [[r["staff_id"] for r in rows] for rows, _ in pushes] == [[li.staff_id]]
    message = pushes[0][1]
    assert message.url == "#/to-sign" and "会签" in message.title
