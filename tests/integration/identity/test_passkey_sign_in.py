"""Staff sign in with passkeys only; every bad ceremony is a clear 4xx that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.identity.tables import Challenge, Passkey, Staff, WebSession
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, log_size, open_case
from tests.unit.identity.soft_authenticator import SoftAuthenticator


async def sessions() -> int:
    return await WebSession.count()


async def test_invited_officer_registers_signs_out_and_signs_in_again(app_client):
    me = await signed_in(app_client, "officer", AGENCY, name="李警官")
    who = (await app_client.get("/api/me")).json()
    assert who["name"] == "李警官" and who["roles"] == ["officer"] and who["agency_id"] == AGENCY
    # The registration is on the agency timeline with the public key.
    key = await Passkey.select().where(Passkey.staff_id == me.staff_id).first()
    from backend.ledger.entry import Entry  # noqa: F401

    ledger = app_client.app.state.ledger
    entry = await ledger.get(key["entry_hash"])
    assert entry.case_id == f"agency:{AGENCY}" and entry.kind == "passkey.registered"
    assert entry.payload["public_key"] == key["public_key"]

    assert (await app_client.delete("/api/session", headers=me)).status_code == 204
    assert (await app_client.get("/api/me")).status_code == 401
    options = (await app_client.post("/api/session/options")).json()
    assert options["userVerification"] == "required"
    again = await app_client.post(
        "/api/session", json={"credential": me.authenticator.assert_(options)}
    )
    assert again.status_code == 200
    assert (await app_client.get("/api/me")).json()["staff_id"] == me.staff_id


async def test_an_invitation_link_works_once(app_client):
    from backend.identity.invites import create_invite

    invite = await create_invite(app_client.app.state.settings, AGENCY, ["officer"], name="王")
    device = SoftAuthenticator()
    token = {"X-Invite-Token": invite["token"]}
    options = (await app_client.get("/api/invite", headers=token)).json()["options"]
    first = await app_client.post(
        "/api/invite/passkey", json={"credential": device.register(options)}, headers=token
    )
    assert first.status_code == 201
    staff = await Staff.count()
    again = await app_client.get("/api/invite", headers=token)
    assert again.status_code == 410 and again.json()["code"] == "invite_used"
    unknown = await app_client.get("/api/invite", headers={"X-Invite-Token": "not-a-token"})
    assert unknown.status_code == 404
    assert await Staff.count() == staff


async def test_a_replayed_sign_in_assertion_is_refused(app_client):
    me = await signed_in(app_client, "officer", AGENCY)
    options = (await app_client.post("/api/session/options")).json()
    assertion = me.authenticator.assert_(options)
    assert (
        await app_client.post("/api/session", json={"credential": assertion})
    ).status_code == 200
    before = await sessions()
    replay = await app_client.post("/api/session", json={"credential": assertion})
    assert replay.status_code == 400 and replay.json()["code"] == "challenge_used"
    assert await sessions() == before


async def test_a_cloned_authenticator_whose_counter_went_back_is_refused(app_client):
    me = await signed_in(app_client, "officer", AGENCY)
    options = (await app_client.post("/api/session/options")).json()
    stale = me.authenticator.assert_(options, count_step=-1)  # counter did not move forward
    before = await sessions()
    response = await app_client.post("/api/session", json={"credential": stale})
    assert response.status_code == 401 and response.json()["code"] == "assertion_failed"
    assert await sessions() == before


async def test_wrong_origin_and_wrong_rp_id_are_refused(app_client):
    me = await signed_in(app_client, "officer", AGENCY)
    before = await sessions()
    for bad in ({"origin": "https://evil.example"}, {"rp_id": "evil.example"}):
        options = (await app_client.post("/api/session/options")).json()
        response = await app_client.post(
            "/api/session", json={"credential": me.authenticator.assert_(options, **bad)}
        )
        assert response.status_code == 401, bad
        assert response.json()["code"] == "assertion_failed"
    assert await sessions() == before


async def test_an_expired_challenge_is_refused(app_client):
    me = await signed_in(app_client, "officer", AGENCY)
    options = (await app_client.post("/api/session/options")).json()
    await Challenge.update({Challenge.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        Challenge.used_at.is_null()
    )
    before = await sessions()
    response = await app_client.post(
        "/api/session", json={"credential": me.authenticator.assert_(options)}
    )
    assert response.status_code == 400 and response.json()["code"] == "challenge_expired"
    assert await sessions() == before


async def test_a_challenge_this_server_never_issued_is_refused(app_client):
    me = await signed_in(app_client, "officer", AGENCY)
    made_up = me.authenticator.assert_(challenge="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    response = await app_client.post("/api/session", json={"credential": made_up})
    assert response.status_code == 400 and response.json()["code"] == "unknown_challenge"


async def test_an_unknown_credential_is_refused(app_client):
    stranger = SoftAuthenticator()
    stranger.register({"rp": {"id": "localhost"}, "user": {"id": "c3RyYW5nZXI"}, "challenge": "x"})
    options = (await app_client.post("/api/session/options")).json()
    before = await sessions()
    response = await app_client.post("/api/session", json={"credential": stranger.assert_(options)})
    assert response.status_code == 401 and response.json()["code"] == "unknown_credential"
    assert await sessions() == before


async def test_a_revoked_passkey_no_longer_signs_in_and_its_sessions_end(app_client):
    me = await signed_in(app_client, "officer", AGENCY)
    listed = (await app_client.get("/api/passkeys")).json()
    assert [p["credential_id"] for p in listed] == [me.credential_id]
    revoked = await app_client.post(
        f"/api/passkeys/{me.credential_id}/revoke", json={"reason": "手机丢失"}, headers=me
    )
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert (await app_client.get("/api/me")).status_code == 401  # that phone's session ended
    options = (await app_client.post("/api/session/options")).json()
    response = await app_client.post(
        "/api/session", json={"credential": me.authenticator.assert_(options)}
    )
    assert response.status_code == 401 and response.json()["code"] == "passkey_revoked"
    entry = await app_client.app.state.ledger.get(revoked.json()["entry_hash"])
    assert entry.kind == "passkey.revoked" and entry.case_id == f"agency:{AGENCY}"


async def test_a_deactivated_officer_loses_access_at_once(app_client, another_client):
    officer = await signed_in(another_client, "officer", AGENCY)
    assert (await another_client.get("/api/me")).status_code == 200
    admin = await signed_in(app_client, "admin", AGENCY)
    response = await app_client.post(
        f"/api/staff/{officer.staff_id}/deactivate",
        json={"client_id": "deact-1", "reason": "离职"},
        headers=admin,
    )
    assert response.status_code == 200 and response.json()["active"] is False
    # The session the officer already had is dead, and the passkey no longer signs in.
    assert (await another_client.get("/api/me")).status_code == 401
    options = (await another_client.post("/api/session/options")).json()
    again = await another_client.post(
        "/api/session", json={"credential": officer.authenticator.assert_(options)}
    )
    assert again.status_code == 401 and again.json()["code"] == "staff_inactive"


async def test_a_forged_session_cookie_is_anonymous(app_client):
    await signed_in(app_client, "officer", AGENCY)
    app_client.cookies.set("casetrail_session", "forged-" + "A" * 40)
    response = await app_client.get("/api/me")
    assert response.status_code == 401 and response.json()["code"] == "not_signed_in"


async def test_a_state_change_without_the_csrf_token_is_refused_and_changes_nothing(app_client):
    me = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, me)
    size = await log_size(app_client)
    for headers in ({}, {"x-csrftoken": "wrong"}):
        response = await app_client.post(
            f"/api/cases/{case_id}/entries",
            json={
                "kind": "note",
                "client_id": "0e0e0e0e-0000-4000-8000-000000000001",
                "payload": {"text": "x"},
            },
            headers=headers,
        )
        assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert await log_size(app_client) == size


async def test_sign_out_everywhere_ends_every_device(app_client, another_client):
    me = await signed_in(app_client, "officer", AGENCY)
    # The same person on a tablet: a second passkey registered from the signed-in phone.
    tablet = SoftAuthenticator()
    options = (await app_client.post("/api/passkeys/options", headers=me)).json()
    added = await app_client.post(
        "/api/passkeys", json={"credential": tablet.register(options), "label": "平板"}, headers=me
    )
    assert added.status_code == 201
    sign = (await another_client.post("/api/session/options")).json()
    assert (
        await another_client.post("/api/session", json={"credential": tablet.assert_(sign)})
    ).status_code == 200
    assert (await another_client.get("/api/me")).status_code == 200
    ended = await app_client.post("/api/session/everywhere/end", headers=me)
    assert ended.status_code == 204
    assert (await another_client.get("/api/me")).status_code == 401
    assert (await app_client.get("/api/me")).status_code == 401


async def test_an_admin_invites_with_the_certificate_and_a_qr_code_for_the_new_phone(
    app_client, another_client
):
    from urllib.parse import parse_qs, urlparse

    from tests.unit.identity.soft_authenticator import SoftAuthenticator

    admin = await signed_in(app_client, "admin", "zhengxiang-hrss")
    made = await app_client.post(
        "/api/invites",
        json={"roles": ["officer"], "name": "王执法", "cert_number": "43040012345",
              "cert_valid_until": "2028-12-31"},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["qr_svg"].startswith("<svg")
    bad = await app_client.post(
        "/api/invites", json={"roles": ["officer"], "cert_valid_until": "明年"}, headers=admin
    )
    assert bad.status_code == 400

    token = {"X-Invite-Token": parse_qs(urlparse(made.json()["link"]).fragment)["invite"][0]}
    settings = app_client.app.state.settings
    phone = SoftAuthenticator(origin=settings.origins[0], rp_id=settings.rp_id)
    options = (await another_client.get("/api/invite", headers=token)).json()["options"]
    registered = await another_client.post(
        "/api/invite/passkey",
        json={"credential": phone.register(options), "label": "phone"},
        headers=token,
    )
    assert registered.status_code == 201, registered.text
    staff = {s["name"]: s for s in (await app_client.get("/api/staff", headers=admin)).json()}
    assert (staff["王执法"]["cert_number"], staff["王执法"]["cert_valid_until"]) == (
        "43040012345",
        "2028-12-31",
    )


async def test_an_enrolment_link_signs_a_new_phone_in_as_the_existing_officer_with_their_cases(
    app_client,
):
    """A new phone (or a demo newcomer) registers a passkey for a staff member who already exists:
    they are that person, with their cases, and no second account is made."""
    from backend.identity.invites import create_enrolment

    me = await signed_in(app_client, "officer", AGENCY, name="赵警官")
    case_id = await open_case(app_client, me)
    await app_client.delete("/api/session", headers=me)
    ledger = app_client.app.state.ledger
    staff_before = await Staff.count()

    link = await create_enrolment(app_client.app.state.settings, me.staff_id, ledger=ledger)
    token = {"X-Invite-Token": link["token"]}
    opened = (await app_client.get("/api/invite", headers=token)).json()
    assert opened["name"] == "赵警官" and opened["roles"] == ["officer"]
    phone = SoftAuthenticator()
    registered = await app_client.post(
        "/api/invite/passkey", json={"credential": phone.register(opened["options"])}, headers=token
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["staff_id"] == me.staff_id
    assert await Staff.count() == staff_before
    mine = (await app_client.get("/api/cases")).json()
    assert case_id in [c["case_id"] for c in mine]
    # Both passkeys are the officer's; the link and the new key are on the agency timeline.
    assert await Passkey.count().where(Passkey.staff_id == me.staff_id) == 2
    kinds = [e.kind for e in await ledger.timeline(f"agency:{AGENCY}", limit=10_000)][-2:]
    assert kinds == ["staff.invited", "passkey.registered"]
    # Once only.
    again = await app_client.get("/api/invite", headers=token)
    assert again.status_code == 410 and again.json()["code"] == "invite_used"


async def test_no_enrolment_link_for_someone_who_is_not_an_active_staff_member(app_client):
    from backend.errors import NotFound
    from backend.identity.invites import create_enrolment

    settings = app_client.app.state.settings
    try:
        await create_enrolment(settings, "staff-nobody")
    except NotFound as refused:
        assert refused.code == "staff_not_found"
    else:
        raise AssertionError("an enrolment link was made for nobody")
