"""One-time registration links: ≥256-bit tokens, stored only as SHA-256, single use, expiring."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.errors import Gone, NotFound
from backend.identity.access import Principal
from backend.identity.certificates import check_cert_date
from backend.identity.staff import check_roles, ensure_agency, new_staff_id
from backend.identity.tables import Invite, Staff
from backend.ledger.entry import Draft, utc_iso
from backend.ledger.ledger import Ledger
from backend.ledger.timelines import agency_timeline
from backend.settings import Settings

INVITE_TTL = timedelta(days=3)
# The app sends the token in this header, as the party page sends its own: a path or query would
# put it in every access log and proxy log between the phone and the server.
INVITE_TOKEN_HEADER = "x-invite-token"


def invite_link(settings: Settings, token: str) -> str:
    # A URL fragment never leaves the browser: not in the request line, the logs or a Referer.
    return f"{settings.public_url}/#invite={token}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invite(
    settings: Settings,
    agency_id: str,
    roles: list[str],
    name: str = "",
    unit_id: str | None = None,
    created_by: str | None = None,
    ledger: Ledger | None = None,
    ttl: timedelta = INVITE_TTL,
    cert_number: str | None = None,
    cert_valid_until: str | None = None,
) -> dict[str, Any]:
    """Invite a new staff member; returns the link (shown once) and the staff id it will create."""
    roles = check_roles(roles)
    cert_valid_until = check_cert_date(cert_valid_until)
    await ensure_agency(agency_id)
    staff_id = new_staff_id()
    return await _issue(
        settings,
        ledger,
        f"invite:{staff_id}",
        agency_id=agency_id,
        staff_id=staff_id,
        name=name or staff_id,
        roles=roles,
        unit_id=unit_id,
        created_by=created_by,
        ttl=ttl,
        cert_number=cert_number,
        cert_valid_until=cert_valid_until,
    )


async def create_enrolment(
    settings: Settings,
    staff_id: str,
    created_by: str | None = None,
    ledger: Ledger | None = None,
    ttl: timedelta = INVITE_TTL,
) -> dict[str, Any]:
    """A one-time link that registers a passkey for an existing staff member (a lost phone, a
    demo person): the same single-use, hashed, expiring invitation, naming that staff member, so
    whoever opens it signs in as them with their roles, cases and history. On the agency timeline
    as `staff.invited` with their staff id, like any invitation; the passkey as `passkey.registered`.
    """
    staff = await Staff.select().where(Staff.staff_id == staff_id).first()
    if staff is None or not staff["active"]:
        raise NotFound("no such active staff member", code="staff_not_found")
    return await _issue(
        settings,
        ledger,
        f"enrol:{staff_id}:{secrets.token_hex(8)}",
        agency_id=staff["agency_id"],
        staff_id=staff_id,
        name=staff["name"],
        roles=json.loads(staff["roles"] or "[]"),
        unit_id=staff["unit_id"],
        created_by=created_by,
        ttl=ttl,
        cert_number=staff["cert_number"],
        cert_valid_until=staff["cert_valid_until"],
    )


async def _issue(
    settings: Settings,
    ledger: Ledger | None,
    client_id: str,
    *,
    agency_id: str,
    staff_id: str,
    name: str,
    roles: list[str],
    unit_id: str | None,
    created_by: str | None,
    ttl: timedelta,
    cert_number: str | None,
    cert_valid_until: Any,
) -> dict[str, Any]:
    """Store a single-use link (only its hash) and note it on the agency timeline as `staff.invited`."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await Invite.insert(
        Invite(
            token_hash=token_hash(token),
            agency_id=agency_id,
            staff_id=staff_id,
            name=name,
            roles=json.dumps(roles),
            unit_id=unit_id,
            created_by=created_by,
            created_at=now,
            expires_at=now + ttl,
            cert_number=cert_number,
            cert_valid_until=cert_valid_until,
        )
    )
    if ledger is not None:
        await ledger.append(
            Draft(
                agency_timeline(agency_id),
                "staff.invited",
                client_id,
                {
                    "staff_id": staff_id,
                    "name": name,
                    "roles": roles,
                    "unit_id": unit_id,
                    "expires_at": utc_iso(now + ttl),
                },
                actor=created_by,
            )
        )
    return {
        "link": invite_link(settings, token),
        "token": token,
        "staff_id": staff_id,
        "expires_at": utc_iso(now + ttl),
    }


def _refusal(row: dict[str, Any], now: datetime) -> Gone | None:
    """Why an invitation can no longer be used, or None while it is pending."""
    if row["used_at"] is not None:
        return Gone("this invitation link was already used", code="invite_used")
    if row["cancelled_at"] is not None:
        return Gone(
            "this invitation link was cancelled; ask for a new one", code="invite_cancelled"
        )
    if row["expires_at"] <= now:
        return Gone("this invitation link expired; ask for a new one", code="invite_expired")
    return None


async def open_invite(token: str, now: datetime | None = None) -> dict[str, Any]:
    """The invitation behind a token, if it is still usable."""
    now = now or datetime.now(UTC)
    row = await Invite.select().where(Invite.token_hash == token_hash(token or "")).first()
    if row is None:
        raise NotFound("this invitation link is not valid", code="invite_not_found")
    refusal = _refusal(row, now)
    if refusal is not None:
        raise refusal
    return row


def _pending_json(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    # Deliberately without token_hash: the list must not help anyone use the link.
    return {
        "staff_id": row["staff_id"],
        "name": row["name"],
        "roles": json.loads(row["roles"] or "[]"),
        "unit_id": row["unit_id"],
        "cert_number": row["cert_number"],
        "cert_valid_until": row["cert_valid_until"],
        "invited_by": row["created_by"],
        "invited_by_name": names.get(row["created_by"] or ""),
        "created_at": utc_iso(row["created_at"]),
        "expires_at": utc_iso(row["expires_at"]),
    }


async def pending_invites(agency_id: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """The agency's invitations that could still be used to register, newest first."""
    now = now or datetime.now(UTC)
    rows = await Invite.select().where(
        (Invite.agency_id == agency_id) & Invite.used_at.is_null() & Invite.cancelled_at.is_null()
    )
    # Expiry is judged by the same Python comparison the link uses, so list and link never disagree.
    rows = [r for r in rows if r["expires_at"] > now]
    rows.sort(key=lambda r: r["created_at"], reverse=True)
    inviters = sorted({r["created_by"] for r in rows if r["created_by"]})
    names: dict[str, str] = {}
    if inviters:
        for staff in await Staff.select(Staff.staff_id, Staff.name).where(
            Staff.staff_id.is_in(inviters)
        ):
            names[staff["staff_id"]] = staff["name"]
    return [_pending_json(r, names) for r in rows]


def _cancel_draft(row: dict[str, Any], actor: str | None, reason: str) -> Draft:
    payload: dict[str, Any] = {
        "staff_id": row["staff_id"],
        "name": row["name"],
        "roles": json.loads(row["roles"] or "[]"),
        "invited_by": row["created_by"],
    }
    if reason:
        payload["reason"] = reason
    # One cancellation per invitation: a retry returns the first entry instead of adding another.
    return Draft(
        agency_timeline(row["agency_id"]),
        "staff.invite_cancelled",
        f"invite-cancelled:{row['staff_id']}",
        payload,
        actor=actor,
    )


async def cancel_invite(
    ledger: Ledger, admin: Principal, staff_id: str, reason: str = ""
) -> dict[str, Any]:
    """An admin withdraws a pending invitation of their own agency; the link stops working at once."""
    # A staff member may have had several links (their first, then one per new phone): the newest.
    row = (
        await Invite.select()
        .where(Invite.staff_id == staff_id)
        .order_by(Invite.created_at, ascending=False)
        .first()
    )
    # Another agency's invitation is answered like an unknown one: no cross-agency probing.
    if row is None or row["agency_id"] != admin.agency_id:
        raise NotFound("no such invitation", code="invite_not_found")
    now = datetime.now(UTC)
    if row["cancelled_at"] is None:
        refusal = _refusal(row, now)
        if refusal is not None:
            raise refusal
        # Conditional, so a registration finishing at the same moment either wins or loses whole.
        taken = (
            await Invite.update(
                {
                    Invite.cancelled_at: now,
                    Invite.cancelled_by: admin.staff_id,
                    Invite.cancel_reason: reason,
                }
            )
            .where(
                (Invite.id == row["id"]) & Invite.used_at.is_null() & Invite.cancelled_at.is_null()
            )
            .returning(Invite.id)
        )
        if not taken:
            raise Gone("this invitation link was already used", code="invite_used")
        row = {**row, "cancelled_at": now, "cancelled_by": admin.staff_id, "cancel_reason": reason}
    # The link is refused before the entry is written. Should the append fail, cancelling again
    # appends the missing entry; once written, the same stored draft returns the first entry.
    entry = await ledger.append(_cancel_draft(row, row["cancelled_by"], row["cancel_reason"] or ""))
    return {
        "staff_id": row["staff_id"],
        "name": row["name"],
        "cancelled_at": utc_iso(row["cancelled_at"]),
        "entry_hash": entry.hash,
    }


def invited_staff(invite: dict[str, Any]) -> dict[str, Any]:
    """The staff member an invitation will create (used for the registration options)."""
    return {
        "staff_id": invite["staff_id"],
        "agency_id": invite["agency_id"],
        "name": invite["name"],
    }


async def use_invite(invite: dict[str, Any]) -> None:
    """Mark used exactly once (a concurrent second use or a cancellation gets Gone), create the staff member."""
    taken = (
        await Invite.update({Invite.used_at: datetime.now(UTC)})
        .where(
            (Invite.token_hash == invite["token_hash"])
            & Invite.used_at.is_null()
            & Invite.cancelled_at.is_null()
        )
        .returning(Invite.id)
    )
    if not taken:
        # Used by a concurrent registration, or cancelled while this one was in progress.
        now_row = await Invite.select().where(Invite.token_hash == invite["token_hash"]).first()
        refusal = _refusal(now_row, datetime.now(UTC)) if now_row else None
        raise refusal or Gone("this invitation link was already used", code="invite_used")
    existing = await Staff.select(Staff.agency_id, Staff.active).where(
        Staff.staff_id == invite["staff_id"]
    )
    if existing:
        # An enrolment link (create_enrolment): the person exists; only a passkey is added.
        if existing[0]["agency_id"] != invite["agency_id"] or not existing[0]["active"]:
            raise Gone("this person can no longer sign in here", code="invite_cancelled")
        return
    await Staff.insert(
        Staff(
            staff_id=invite["staff_id"],
            agency_id=invite["agency_id"],
            unit_id=invite["unit_id"],
            name=invite["name"],
            cert_number=invite["cert_number"],
            cert_valid_until=invite["cert_valid_until"],
            roles=invite["roles"],
            clearances="[]",
            active=True,
            created_at=datetime.now(UTC),
        )
    )
