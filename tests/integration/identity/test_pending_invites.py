"""An admin sees the agency's pending invitations and cancels one sent to the wrong person."""

from __future__ import annotations

from datetime import timedelta

from backend.identity.invites import INVITE_TOKEN_HEADER, create_invite
from backend.identity.tables import Invite, Staff
from backend.ledger.tables import LedgerEntry
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER
from tests.unit.identity.soft_authenticator import SoftAuthenticator


async def log_size(_client) -> int:
    return await LedgerEntry.count()


def token_of(link: str) -> str:
    return link.split("#invite=", 1)[1]


def carrying(token: str) -> dict[str, str]:
    """The header the app sends the invitation token in."""
    return {INVITE_TOKEN_HEADER: token}


async def invite(client, headers, name: str, roles: list[str], **extra) -> tuple[str, str]:
    """The admin invites a colleague from the app; returns (staff id, token)."""
    made = await client.post(
        "/api/invites", json={"name": name, "roles": roles, **extra}, headers=headers
    )
    assert made.status_code == 201, made.text
    return made.json()["staff_id"], token_of(made.json()["link"])


async def pending(client) -> dict[str, dict]:
    answer = await client.get("/api/invites")
    assert answer.status_code == 200, answer.text
    return {i["staff_id"]: i for i in answer.json()}


async def register(client, token: str):
    """The invited person opens the link on their phone and registers a passkey."""
    info = await client.get("/api/invite", headers=carrying(token))
    if info.status_code != 200:
        return info
    credential = SoftAuthenticator().register(info.json()["options"])
    return await client.post(
        "/api/invite/passkey", json={"credential": credential}, headers=carrying(token)
    )


async def test_admin_lists_who_was_invited_for_what_by_whom_and_until_when(
    app_client, another_client
):
    admin = await signed_in(app_client, "admin", AGENCY, name="王管理员")
    li, li_token = await invite(
        app_client, admin, "李警官", ["officer"], unit_id="监察大队", cert_number="湘执01234"
    )
    zhang, _ = await invite(app_client, admin, "张科长", ["supervisor", "legal_reviewer"])
    settings = app_client.app.state.settings
    from_cli = await create_invite(settings, AGENCY, ["archivist"], name="档案员")
    await create_invite(settings, AGENCY, ["officer"], name="过期", ttl=timedelta(seconds=-1))
    await create_invite(settings, OTHER, ["officer"], name="别的机关")
    registered, registered_token = await invite(app_client, admin, "赵警官", ["officer"])
    assert (await register(another_client, registered_token)).status_code == 201

    answer = await app_client.get("/api/invites")
    listed = await pending(app_client)

    # Only this agency's invitations that can still be used: not the registered, expired or foreign.
    assert set(listed) == {li, zhang, from_cli["staff_id"]}
    assert [i["name"] for i in answer.json()] == ["档案员", "张科长", "李警官"]  # newest first
    assert listed[li]["roles"] == ["officer"]
    assert listed[li]["unit_id"] == "监察大队" and listed[li]["cert_number"] == "湘执01234"
    assert listed[zhang]["roles"] == ["legal_reviewer", "supervisor"]
    assert (listed[li]["invited_by"], listed[li]["invited_by_name"]) == (admin.staff_id, "王管理员")
    assert listed[from_cli["staff_id"]]["invited_by"] is None  # made on the command line
    assert listed[li]["created_at"] < listed[li]["expires_at"]
    # Nothing in the list lets anyone use a link.
    assert li_token not in answer.text and "token" not in answer.text
    assert registered not in listed


async def test_admin_cancels_an_invitation_and_the_link_is_refused_from_then_on(app_client):
    admin = await signed_in(app_client, "admin", AGENCY)
    wrong, token = await invite(app_client, admin, "发错的人", ["officer", "approver"])
    right, _ = await invite(app_client, admin, "对的人", ["officer"])
    size = await log_size(app_client)

    cancelled = await app_client.post(
        f"/api/invites/{wrong}/cancel", json={"reason": "链接发错人"}, headers=admin
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["staff_id"] == wrong and cancelled.json()["name"] == "发错的人"
    assert set(await pending(app_client)) == {right}
    opened = await app_client.get("/api/invite", headers=carrying(token))
    assert opened.status_code == 410 and opened.json()["code"] == "invite_cancelled"
    staff = await Staff.count()
    forced = await app_client.post(
        "/api/invite/passkey", json={"credential": {"id": "x"}}, headers=carrying(token)
    )
    assert forced.status_code == 410 and forced.json()["code"] == "invite_cancelled"
    assert await Staff.count() == staff

    # The cancellation is an entry on the agency timeline, by the admin, naming the invitation.
    ledger = app_client.app.state.ledger
    entry = await ledger.get(cancelled.json()["entry_hash"])
    assert entry.case_id == f"agency:{AGENCY}" and entry.kind == "staff.invite_cancelled"
    assert entry.body["actor"] == admin.staff_id
    assert entry.payload == {
        "staff_id": wrong,
        "name": "发错的人",
        "roles": ["approver", "officer"],
        "invited_by": admin.staff_id,
        "reason": "链接发错人",
    }
    assert await log_size(app_client) == size + 1
    timeline = await app_client.get(f"/api/cases/agency:{AGENCY}/timeline", params={"limit": 1000})
    assert "staff.invite_cancelled" in [e["kind"] for e in timeline.json()["entries"]]

    # A second click (or a retry) changes nothing and answers with the same entry.
    again = await app_client.post(f"/api/invites/{wrong}/cancel", json={}, headers=admin)
    assert again.status_code == 200 and again.json()["entry_hash"] == entry.hash
    assert (await ledger.get(entry.hash)).payload["reason"] == "链接发错人"


async def test_a_registration_under_way_when_the_invitation_is_cancelled_is_refused(
    app_client, another_client
):
    admin = await signed_in(app_client, "admin", AGENCY)
    staff_id, token = await invite(app_client, admin, "半路作废", ["officer"])
    options = (await another_client.get("/api/invite", headers=carrying(token))).json()["options"]
    credential = SoftAuthenticator().register(options)

    await app_client.post(f"/api/invites/{staff_id}/cancel", json={}, headers=admin)
    finished = await another_client.post(
        "/api/invite/passkey", json={"credential": credential}, headers=carrying(token)
    )

    assert finished.status_code == 410 and finished.json()["code"] == "invite_cancelled"
    assert not await Staff.exists().where(Staff.staff_id == staff_id)
    assert (await another_client.get("/api/me")).status_code == 401


async def test_expired_and_used_links_say_so_and_cannot_be_cancelled(app_client, another_client):
    admin = await signed_in(app_client, "admin", AGENCY)
    settings = app_client.app.state.settings
    expired = await create_invite(
        settings, AGENCY, ["officer"], name="过期", ttl=timedelta(seconds=-1)
    )
    opened = await another_client.get("/api/invite", headers=carrying(expired["token"]))
    assert opened.status_code == 410 and opened.json()["code"] == "invite_expired"
    late = await another_client.post(
        "/api/invite/passkey", json={"credential": {"id": "x"}}, headers=carrying(expired["token"])
    )
    assert late.status_code == 410 and late.json()["code"] == "invite_expired"
    size = await log_size(app_client)
    refused = await app_client.post(
        f"/api/invites/{expired['staff_id']}/cancel", json={}, headers=admin
    )
    assert refused.status_code == 410 and refused.json()["code"] == "invite_expired"
    assert await log_size(app_client) == size

    used, token = await invite(app_client, admin, "已注册", ["officer"])
    assert (await register(another_client, token)).status_code == 201
    size = await log_size(app_client)
    refused = await app_client.post(f"/api/invites/{used}/cancel", json={}, headers=admin)
    assert refused.status_code == 410 and refused.json()["code"] == "invite_used"
    assert await Staff.exists().where(Staff.staff_id == used)
    assert await log_size(app_client) == size


async def test_only_an_admin_of_the_same_agency_sees_or_cancels_its_invitations(
    app_client, another_client
):
    admin = await signed_in(app_client, "admin", AGENCY)
    staff_id, token = await invite(app_client, admin, "李警官", ["officer"])
    size = await log_size(app_client)

    for role in ("officer", "supervisor"):
        colleague = await signed_in(another_client, role, AGENCY)
        listed = await another_client.get("/api/invites")
        assert listed.status_code == 403 and listed.json()["code"] == "role_required"
        cancel = await another_client.post(
            f"/api/invites/{staff_id}/cancel", json={}, headers=colleague
        )
        assert cancel.status_code == 403 and cancel.json()["code"] == "role_required"

    # Another agency's admin neither sees it nor learns that it exists.
    stranger = await signed_in(another_client, "admin", OTHER)
    assert staff_id not in await pending(another_client)
    cancel = await another_client.post(f"/api/invites/{staff_id}/cancel", json={}, headers=stranger)
    assert cancel.status_code == 404 and cancel.json()["code"] == "invite_not_found"
    unknown = await another_client.post("/api/invites/s-nobody/cancel", json={}, headers=stranger)
    assert unknown.status_code == 404 and unknown.json()["code"] == "invite_not_found"

    # Without the CSRF header a signed-in admin's browser cannot be made to cancel either.
    forged = await app_client.post(f"/api/invites/{staff_id}/cancel", json={})
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"

    row = await Invite.select().where(Invite.staff_id == staff_id).first()
    assert row["cancelled_at"] is None and staff_id in await pending(app_client)
    assert (await another_client.get("/api/invite", headers=carrying(token))).status_code == 200
    assert await log_size(app_client) == size + 3  # the three colleagues' passkeys, nothing else
