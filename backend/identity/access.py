"""The one permission check every route passes through: rules declared per route in `opt`.

Each handler declares `opt={"access": RULE}`; a route without a rule is refused, so nothing is
ever open by accident. Rules:

- ``public``: anyone (the OpenAPI description under /schema is public too);
- ``staff``: any active, signed-in staff member;
- ``role:<role>[|<role>...]``: holds one of those roles in their agency;
- ``case:read`` / ``case:write``: the path parameter ``case_id`` (see `can_read_case`, `can_write_case`);
- ``entry:read``: the path parameter ``entry_hash``, then as ``case:read`` on that entry's case.

Signed-in callers come from the session cookie (backend/identity/authentication.py); state-changing
requests made with a session must carry its CSRF token in the ``x-csrftoken`` header.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from backend.errors import Forbidden, Invalid, NotFound, Unauthorized
from backend.identity.case_facts import case_facts
from backend.identity.roles import holders
from backend.ledger.timelines import agency_of_timeline

PUBLIC = "public"
CSRF_HEADER = "x-csrftoken"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Roles that read every case of their own agency (same set as the cases API lists by).
AGENCY_READERS = holders("read_agency")
# Roles that write their review entries (opinions, approvals) on cases they are not members of.
REVIEW_WRITERS = holders("review_write")
# Kinds an agency role files on any case of its agency without being on the team: archiving is the
# archive's job, not only the handler's. A route taking them says opt={"non_member_kinds": True}
# and calls `check_kind_on_case` once it knows the kind.
NON_MEMBER_KINDS = {"record.archive": holders("archive")}
NON_MEMBER_KIND_ROLES = frozenset().union(*NON_MEMBER_KINDS.values())
# Agency timelines (passkeys, staff, devices, patrol recordings, import custody, retention batches)
# are read by those who run the agency, and by legal reviewers, who check how evidence was kept.
AGENCY_TIMELINE_READERS = holders("read_agency_timeline")
# Any staff member of the agency writes to it (patrol recordings, device checks); identity's own
# kinds there (passkeys, staff changes) are reserved to identity's endpoints.
AGENCY_TIMELINE_WRITERS = holders("write_agency_timeline")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in staff member."""

    staff_id: str
    agency_id: str
    name: str
    roles: frozenset[str]
    clearances: frozenset[str] = field(default_factory=frozenset)


async def case_agency(case_id: str) -> str | None:
    """The agency a timeline belongs to: an agency timeline's own, a case's from its projection,
    else from its `case.opened` entry (projection lag); None for a case nobody opened."""
    if (agency := agency_of_timeline(case_id)) is not None:
        return agency
    from backend.ledger import reads

    if (projected := await case_facts().projected_agency(case_id)) is not None:
        return projected
    opened = await reads.first_of_kind(case_id, "case.opened")
    return None if opened is None else opened.payload.get("agency_id")


async def is_member(principal: Principal, case_id: str) -> bool:
    from backend.identity.tables import CaseMember

    return await CaseMember.exists().where(
        (CaseMember.case_id == case_id) & (CaseMember.staff_id == principal.staff_id)
    )


async def _agency_and_membership(principal: Principal, case_id: str) -> tuple[str | None, bool]:
    """A case's agency and whether `principal` is on it: one query (when not remembered)."""
    from backend.identity import remembered

    known = remembered.case_access(case_id, principal.staff_id)
    if known is not None:
        if remembered.due(key := ("case", case_id, principal.staff_id)):
            remembered.refresh(key, _projected_access(case_id, principal.staff_id, forget=True))
        return known
    if (projected := await _projected_access(case_id, principal.staff_id)) is not None:
        return projected
    agency = await case_agency(case_id)  # not projected yet: the log says
    return agency, agency is not None and await is_member(principal, case_id)


async def _projected_access(
    case_id: str, staff_id: str, forget: bool = False
) -> tuple[str, bool] | None:
    """The projection's answer (remembered); None while the case is not projected."""
    from backend.identity import remembered

    asked_at = remembered.generation()
    projected = await case_facts().agency_and_membership(case_id, staff_id)
    if projected is None:
        if forget:
            remembered.forget_case_access(case_id, staff_id)
        return None
    agency_id, member = projected
    remembered.remember_case_access(case_id, staff_id, agency_id, member, asked_at)
    return agency_id, member


async def case_decision(principal: Principal, case_id: str, write: bool) -> str | None:
    """None when allowed; otherwise the refusal code (`case_not_found`, `other_agency`, `not_member`)."""
    if case_id.startswith("agency:"):
        if case_id.removeprefix("agency:") != principal.agency_id:
            return "other_agency"
        allowed = AGENCY_TIMELINE_WRITERS if write else AGENCY_TIMELINE_READERS
        return None if principal.roles & allowed else "role_required"
    agency, member = await _agency_and_membership(principal, case_id)
    if agency is None:
        return "case_not_found"
    if agency != principal.agency_id:
        return "other_agency"
    if member:
        return None
    if principal.roles & (REVIEW_WRITERS if write else AGENCY_READERS):
        return None
    return "not_member"


async def can_read_case(principal: Principal, case_id: str) -> bool:
    return await case_decision(principal, case_id, write=False) is None


async def can_write_case(principal: Principal, case_id: str) -> bool:
    return await case_decision(principal, case_id, write=True) is None


async def check_case(principal: Principal, case_id: str, write: bool) -> None:
    """Raise the refusal a caller should see for this case."""
    code = await case_decision(principal, case_id, write)
    if code == "case_not_found":
        raise NotFound("no such case", code="case_not_found")
    if code is not None:
        verb = "change" if write else "see"
        raise Forbidden(f"you may not {verb} this case", code=code)


async def check_kind_on_case(
    principal: Principal, case_id: str, kind: str, connection: ASGIConnection | None = None
) -> None:
    """A non-member writes on a case only the kinds its role files there (NON_MEMBER_KINDS)."""
    if principal.roles & NON_MEMBER_KINDS.get(kind, frozenset()):
        return
    if connection is not None and case_allowed(connection, case_id, write=True):
        return  # the guard already judged this request's write on this case
    await check_case(principal, case_id, write=True)


# The scope key under which the guard notes the case rules it let a request through: a handler
# asking the same question again (`check_kind_on_case`) is answered without a second query.
CASE_ALLOWED = "casetrail.case_allowed"


def case_allowed(connection: ASGIConnection, case_id: str, write: bool) -> bool:
    return (case_id, write) in connection.scope.get(CASE_ALLOWED, ())  # type: ignore[operator]


def has_role(principal: Principal, rule: str) -> bool:
    wanted = set(rule.removeprefix("role:").split("|"))
    return bool(principal.roles & wanted)


def check_csrf(connection: ASGIConnection) -> None:
    session: Any = connection.scope.get("auth")
    expected = getattr(session, "csrf_token", None)
    if expected is None:  # not a cookie session (e.g. an import token): nothing ambient to forge
        return
    sent = connection.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, expected):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")


def principal_of(connection: ASGIConnection) -> Principal:
    """The signed-in caller of a route whose access rule already required one."""
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized("sign in first", code="not_signed_in")
    return user


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    rule = handler.opt.get("access")
    if connection.scope["path"].startswith("/schema"):
        return
    if rule is None:
        raise Forbidden("route has no access rule", code="no_access_rule")
    if rule == PUBLIC:
        return
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise Unauthorized("sign in first", code="not_signed_in")
    if connection.scope.get("method", "GET") not in SAFE_METHODS:
        check_csrf(connection)
    if rule == "staff":
        return
    if rule.startswith("role:"):
        if not has_role(principal, rule):
            raise Forbidden(f"this needs the {rule.removeprefix('role:')} role", "role_required")
        return
    if rule in ("case:read", "case:write"):
        case_id = connection.path_params.get("case_id")
        if not case_id:
            raise Forbidden("route rule names a case but has no case_id", code="no_access_rule")
        write = rule == "case:write"
        if (
            write
            and handler.opt.get("non_member_kinds")
            and principal.roles & NON_MEMBER_KIND_ROLES
            and await can_read_case(principal, case_id)
        ):
            return  # the handler checks the kind (`check_kind_on_case`)
        await check_case(principal, case_id, write=write)
        connection.scope.setdefault(CASE_ALLOWED, set()).add((case_id, write))  # type: ignore[misc]
        return
    if rule == "entry:read":
        entry_hash = connection.path_params.get("entry_hash")
        ledger = connection.app.state.ledger
        entry = await ledger.get(str(entry_hash))
        await check_case(principal, entry.case_id, write=False)
        return
    raise Forbidden(f"unknown access rule {rule!r}", code="no_access_rule")


# The generic append route takes only what an officer writes directly: record forms, notes and
# stage moves. Every other kind (media, signatures, memberships, access log, service, retention
# tombstones ...) is made by its own endpoint after its own checks, so it cannot be forged here.
CLIENT_KINDS = frozenset({"note", "case.stage"})
CLIENT_KIND_PREFIXES = ("record.",)
# Record kinds with an endpoint of their own: the random draw's commit/reveal/abandon are checked
# against each other there, so a hand-made one could fake a fair draw.
ENDPOINT_RECORD_KINDS = frozenset(
    {"record.random_draw_commit", "record.random_draw_reveal", "record.random_draw_abandon"}
)
# A waiver turns a missing or late requirement into `waived`: only those who answer for the case may.
WAIVER_ROLES = holders("waive")


def check_client_kind(
    kind: str, known: Container[str] | None = None, roles: Container[str] = frozenset()
) -> None:
    """A kind nobody defined is a client's mistake (400), a kind kept for an endpoint is not theirs (403)."""
    if known is None:
        from backend.ledger.kinds import default_registry

        known = default_registry()
    if kind not in known:
        raise Invalid(f"unknown entry kind: {kind}", code="unknown_kind")
    if kind in ENDPOINT_RECORD_KINDS or (
        kind not in CLIENT_KINDS and not kind.startswith(CLIENT_KIND_PREFIXES)
    ):
        raise Forbidden(f"{kind} entries are made by their own endpoint", code="reserved_kind")
    if kind == "record.waiver" and not any(r in roles for r in WAIVER_ROLES):
        raise Forbidden(
            "只有监督人员或审批人可以豁免合规要求 / Only a supervisor or approver may waive a requirement",
            code="role_required",
        )


# The approving role. A record field marked `x-approver` in its kind's schema is the approver's
# decision (the head's yes or no, name and opinion): a record carrying one is an approval, and
# compliance counts it as one, so it is taken only from staff who hold this role in the case's
# agency (the case rule already keeps other agencies out, and lets approvers write unassigned).
APPROVER = "approver"


@cache
def approver_fields(kind: str) -> frozenset[str]:
    """The payload fields of `kind` that only an approver fills, over all its schema versions."""
    from backend.ledger.kinds import SHARED

    fields: set[str] = set()
    for path in (SHARED / "schemas" / "kinds").glob(f"{kind}.v*.json"):
        properties = json.loads(path.read_text(encoding="utf-8")).get("properties") or {}
        fields.update(name for name, spec in properties.items() if spec.get("x-approver"))
    return frozenset(fields)


def check_approval(
    kind: str,
    payload: Mapping[str, Any],
    roles: Container[str],
    corrected: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Refuse an approval record, or a correction of one, from someone who is not an approver.

    `corrected` holds the payloads of every version of the record a correction replaces. Correcting
    an approval changes the decision (a refusal turned into an approval, the head's opinion wiped, a
    form changed after it was approved), so it is the approver's even when the new version leaves
    those fields out.
    """
    fields = approver_fields(kind)
    touched = fields.intersection(payload)
    for version in corrected:
        touched |= fields.intersection(version)
    if touched and APPROVER not in roles:
        raise Forbidden(
            "只有审批人可以作出或更正审批意见 / Only an approver may approve or correct an approval",
            code="not_approver",
            detail={"fields": sorted(touched)},
        )


def check_client_id(client_id: str) -> str:
    """Entries, uploads and media made on a device are keyed by a UUID the device made (contracts.md).

    Only the HTTP boundary checks this: ids the server derives (`{client_id}:member:{staff}`,
    `access:…`) are never made by a client and keep their own shapes.
    """
    try:
        uuid.UUID(client_id)
    except (ValueError, TypeError, AttributeError):
        raise Invalid("client_id must be a UUID made by the device", code="bad_client_id") from None
    return client_id
