"""Approvals and attestations are passkey assertions over the entry hash, verifiable from the ledger."""

from __future__ import annotations

import uuid

from backend.identity.signatures import verify_signatures
from backend.identity.tables import CaseMember
from backend.ledger.entry import Draft
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, add_note, log_size, open_case, sign


async def test_an_approver_approves_with_a_passkey_and_the_ledger_verifies_it(
    app_client, another_client
):
    officer = await signed_in(another_client, "officer", AGENCY)
    case_id = await open_case(another_client, officer)
    proposal = await add_note(another_client, officer, case_id, "拟作出罚款决定")
    approver = await signed_in(app_client, "approver", AGENCY, name="负责人")
    response = await sign(app_client, approver, approver.authenticator, proposal["hash"])
    assert response.status_code == 201, response.text
    sig = response.json()
    assert sig["kind"] == "signature.passkey" and sig["case_id"] == case_id
    assert sig["payload"]["signs"] == proposal["hash"] and sig["actor"] == approver.staff_id
    ledger = app_client.app.state.ledger
    assert await verify_signatures(ledger, case_id) == []
    listed = (await app_client.get(f"/api/cases/{case_id}/signatures")).json()
    assert [(s["meaning"], s["verified"]) for s in listed] == [("approve", True)]


async def test_two_officers_co_sign_a_refusal_on_one_device(app_client, another_client):
    first = await signed_in(app_client, "officer", AGENCY, name="张")
    second = await signed_in(another_client, "officer", AGENCY, name="李")
    case_id = await open_case(app_client, first, officers=[second.staff_id])
    refusal = await add_note(app_client, first, case_id, "当事人拒绝签字")
    # The second officer's passkey lives on the same phone (one authenticator, two credentials).
    phone = first.authenticator
    phone.credentials.update(second.authenticator.credentials)
    one = await sign(
        app_client, first, phone, refusal["hash"], "attest_refusal", first.credential_id
    )
    two = await sign(
        app_client, first, phone, refusal["hash"], "attest_refusal", second.credential_id
    )
    assert one.status_code == two.status_code == 201, (one.text, two.text)
    assert {one.json()["actor"], two.json()["actor"]} == {first.staff_id, second.staff_id}
    assert await verify_signatures(app_client.app.state.ledger, case_id) == []


async def test_an_officer_cannot_approve_and_a_stranger_cannot_attest(app_client, another_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    step = await add_note(app_client, officer, case_id)
    size = await log_size(app_client)
    refused = await sign(app_client, officer, officer.authenticator, step["hash"], "approve")
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    outsider = await signed_in(another_client, "officer", AGENCY)
    blocked = await another_client.post(
        f"/api/entries/{step['hash']}/signatures/options", json={}, headers=outsider
    )
    assert blocked.status_code == 403 and blocked.json()["code"] == "not_member"
    assert await log_size(app_client) == size


async def test_a_replayed_signature_is_refused(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    step = await add_note(app_client, officer, case_id)
    options = (
        await app_client.post(
            f"/api/entries/{step['hash']}/signatures/options", json={}, headers=officer
        )
    ).json()
    assertion = officer.authenticator.assert_(options)
    body = {"meaning": "attest_certificate_shown", "credential": assertion}
    url = f"/api/entries/{step['hash']}/signatures"
    assert (await app_client.post(url, json=body, headers=officer)).status_code == 201
    size = await log_size(app_client)
    again = await app_client.post(url, json={**body, "client_id": "replay"}, headers=officer)
    assert again.status_code == 401 and again.json()["code"] == "assertion_failed"
    assert await log_size(app_client) == size


async def test_a_forged_signature_entry_is_named_by_verify(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    step = await add_note(app_client, officer, case_id)
    ledger = app_client.app.state.ledger
    good = (
        await sign(
            app_client, officer, officer.authenticator, step["hash"], "attest_certificate_shown"
        )
    ).json()
    # An insider writes a signature straight into the ledger over a different entry.
    other = await add_note(app_client, officer, case_id, "另一条")
    forged = {**good["payload"], "signs": other["hash"]}
    await ledger.append(
        Draft(case_id, "signature.passkey", str(uuid.uuid4()), forged, actor=officer.staff_id)
    )
    problems = await verify_signatures(ledger, case_id)
    assert len(problems) == 1
    assert "does not verify" in problems[0].message


async def test_membership_is_a_ledger_fact_and_rebuilds(app_client, another_client):
    handler = await signed_in(app_client, "officer", AGENCY)
    colleague = await signed_in(another_client, "officer", AGENCY)
    case_id = await open_case(app_client, handler)
    assert (await another_client.get(f"/api/cases/{case_id}/timeline")).status_code == 403
    added = await app_client.post(
        f"/api/cases/{case_id}/members",
        json={"staff_id": colleague.staff_id, "client_id": "m-1"},
        headers=handler,
    )
    assert added.status_code == 201 and added.json()["kind"] == "case.member_added"
    assert (await another_client.get(f"/api/cases/{case_id}/timeline")).status_code == 200
    # The colleague is not the handler: they cannot change the team.
    refused = await another_client.post(
        f"/api/cases/{case_id}/members/{handler.staff_id}/remove",
        json={"reason": "x", "client_id": "m-2"},
        headers=colleague,
    )
    assert refused.status_code == 403
    removed = await app_client.post(
        f"/api/cases/{case_id}/members/{colleague.staff_id}/remove",
        json={"reason": "调岗", "client_id": "m-3"},
        headers=handler,
    )
    assert removed.status_code == 201
    assert (await another_client.get(f"/api/cases/{case_id}/timeline")).status_code == 403
    from backend.identity.projection import rebuild_members

    before = sorted((r["case_id"], r["staff_id"]) for r in await CaseMember.select())
    await rebuild_members(app_client.app.state.ledger)
    after = sorted((r["case_id"], r["staff_id"]) for r in await CaseMember.select())
    assert before == after and (case_id, handler.staff_id) in after
