"""No route is open by accident: every handler declares a rule, and every rule decides as documented."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from litestar.routes import HTTPRoute

from backend.errors import CaseTrailError
from backend.identity.access import Principal, access_guard
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER, add_note, open_case

ROLES = ("officer", "legal_reviewer", "approver", "supervisor", "archivist", "admin")
CASE_READERS = {"legal_reviewer", "approver", "supervisor", "archivist", "admin"}
CASE_WRITERS = {"legal_reviewer", "approver"}
AGENCY_TIMELINE = {"supervisor", "admin", "approver", "archivist", "legal_reviewer"}
KIND_FILERS = {"archivist", "supervisor"}


def implicit_options(handler) -> bool:
    # Litestar's automatic OPTIONS answer (Allow header only); with no rule the guard refuses it.
    return getattr(handler.fn, "__name__", "") == "options_handler"


def handlers(app):
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if not implicit_options(handler):
                    yield route, handler


def test_every_route_declares_an_access_rule():
    from backend.app import create_app
    from backend.settings import Settings

    app = create_app(Settings.from_env({"CASETRAIL_DATA_DIR": "/tmp/casetrail-route-walk"}))
    missing = [
        f"{sorted(h.http_methods)} {r.path}"
        for r, h in handlers(app)
        if "access" not in h.opt and not r.path.startswith("/schema")
    ]
    assert missing == []


def expected(
    rule: str,
    role: str | None,
    member: bool,
    own_agency: bool,
    agency_tl: bool,
    non_member_kinds: bool = False,
) -> bool:
    """The documented rule, written out independently of the guard."""
    if rule == "public":
        return True
    if role is None:
        return False
    if rule == "staff":
        return True
    if rule.startswith("role:"):
        return role in rule.removeprefix("role:").split("|")
    if not own_agency:
        return False
    if agency_tl:  # everyone of the agency records patrols there; few read it back
        return rule == "case:write" or role in AGENCY_TIMELINE
    if rule in ("case:read", "entry:read"):
        return member or role in CASE_READERS
    if rule == "case:write":
        # The generic append lets archivists and supervisors through; it then allows them only
        # the kinds they file on any case (record.archive).
        return member or role in CASE_WRITERS or (non_member_kinds and role in KIND_FILERS)
    raise AssertionError(rule)


@pytest.fixture
async def world(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    entry = await add_note(app_client, officer, case_id)
    return {"officer": officer, "case_id": case_id, "entry": entry["hash"]}


async def decide(app, handler, principal, params) -> bool:
    connection = SimpleNamespace(
        scope={"path": "/api/x", "method": "GET", "user": principal, "auth": None},
        path_params=params,
        headers={},
        app=app,
    )
    try:
        await access_guard(connection, handler)
    except CaseTrailError as refusal:
        assert refusal.status in (401, 403, 404), refusal
        return False
    return True


async def test_every_route_for_every_role_on_own_and_other_agency_cases(app_client, world):
    app = app_client.app
    officer = world["officer"]
    checked = 0
    for route, handler in handlers(app):
        rule = handler.opt.get("access")
        if rule is None:
            continue
        names = set(route.path_parameters)
        for role in (None, *ROLES):
            for place in ("own", "other", "agency"):
                if place != "own" and not names & {"case_id"}:
                    continue
                params = {n: "x" for n in names}
                if "case_id" in names:
                    params["case_id"] = {
                        "own": world["case_id"],
                        "other": f"agency:{OTHER}",
                        "agency": f"agency:{AGENCY}",
                    }[place]
                if "entry_hash" in names:
                    params["entry_hash"] = world["entry"]
                member = role == "officer"
                staff_id = officer.staff_id if member else f"someone-{role}"
                principal = (
                    None if role is None else Principal(staff_id, AGENCY, "x", frozenset({role}))
                )
                got = await decide(app, handler, principal, params)
                want = expected(
                    rule,
                    role,
                    member,
                    place != "other",
                    place == "agency",
                    bool(handler.opt.get("non_member_kinds")),
                )
                assert got == want, (route.path, sorted(handler.http_methods), rule, role, place)
                checked += 1
    assert checked > 300


async def test_a_non_member_officer_and_another_agencys_staff_cannot_read_a_case(
    app_client, another_client, world
):
    stranger = await signed_in(another_client, "supervisor", OTHER)
    response = await another_client.get(f"/api/cases/{world['case_id']}/timeline")
    assert response.status_code == 403 and response.json()["code"] == "other_agency"
    colleague = await signed_in(another_client, "officer", AGENCY)
    response = await another_client.get(f"/api/cases/{world['case_id']}/timeline")
    assert response.status_code == 403 and response.json()["code"] == "not_member"
    append = await another_client.post(
        f"/api/cases/{world['case_id']}/entries",
        json={
            "kind": "note",
            "client_id": "5e1f0c2a-0000-4000-8000-00000000beef",
            "payload": {"text": "x"},
        },
        headers=colleague,
    )
    assert append.status_code == 403
    assert stranger.staff_id != colleague.staff_id


async def test_role_escalation_through_crafted_requests_is_refused(app_client, world):
    officer = world["officer"]
    size = (await app_client.get("/api/log/checkpoint")).json()["size"]
    attempts = [
        ("PATCH", f"/api/staff/{officer.staff_id}", {"client_id": "e1", "roles": ["admin"]}),
        ("POST", "/api/invites", {"roles": ["admin"], "name": "me again"}),
        ("POST", f"/api/staff/{officer.staff_id}/deactivate", {"client_id": "e2"}),
    ]
    for method, url, body in attempts:
        response = await app_client.request(method, url, json=body, headers=officer)
        assert response.status_code == 403, (url, response.text)
    for kind, payload in [
        ("case.member_added", {"staff_id": "s-boss", "role": "handler"}),
        ("signature.passkey", {"signs": world["entry"], "meaning": "approve"}),
        ("passkey.registered", {"staff_id": "s-x", "credential_id": "a", "public_key": "b"}),
        # A forged tombstone would hide a deleted blob from verification; forged media skip
        # every upload check; a forged finding would close one's own spot check.
        ("retention.disposed", {"blobs": ["0" * 64], "reason": "forged"}),
        ("media.photo", {"sha256": "0" * 64, "media_type": "image/jpeg", "findings": []}),
        ("spotcheck.finding", {"recording": "0" * 64, "result": "ok"}),
        ("hold.released", {"hold": "0" * 64}),
        ("service.opened", {"link": "0" * 64}),
    ]:
        response = await app_client.post(
            f"/api/cases/{world['case_id']}/entries",
            json={"kind": kind, "client_id": str(uuid.uuid4()), "payload": payload},
            headers=officer,
        )
        assert response.status_code == 403 and response.json()["code"] == "reserved_kind"
    assert (await app_client.get("/api/me")).json()["roles"] == ["officer"]
    assert (await app_client.get("/api/log/checkpoint")).json()["size"] == size


async def test_an_admin_cannot_invite_into_another_agency(app_client):
    admin = await signed_in(app_client, "admin", AGENCY)
    crafted = await app_client.post(
        "/api/invites", json={"roles": ["officer"], "agency_id": OTHER}, headers=admin
    )
    assert crafted.status_code == 400
    fine = await app_client.post("/api/invites", json={"roles": ["officer"]}, headers=admin)
    assert fine.status_code == 201 and "/#invite=" in fine.json()["link"]
    foreign = await app_client.patch(
        "/api/staff/s-nobody", json={"client_id": "x", "roles": ["admin"]}, headers=admin
    )
    assert foreign.status_code == 404


def test_pending_invitations_are_listed_and_cancelled_by_admins_only():
    # The matrix above decides these routes by role; the agency is checked in the handler
    # (another agency's invitation answers 404, see test_pending_invites).
    from backend.app import create_app
    from backend.settings import Settings

    app = create_app(Settings.from_env({"CASETRAIL_DATA_DIR": "/tmp/casetrail-route-walk"}))
    rules = {
        (method, route.path): handler.opt.get("access")
        for route, handler in handlers(app)
        for method in handler.http_methods
    }
    assert rules[("GET", "/api/invites")] == "role:admin"
    assert rules[("POST", "/api/invites/{staff_id:str}/cancel")] == "role:admin"
    # Opening and using a link stays public: the token itself is the permission.
    assert rules[("GET", "/api/invite")] == "public"
    assert rules[("POST", "/api/invite/passkey")] == "public"
