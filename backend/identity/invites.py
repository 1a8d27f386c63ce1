"""One-time registration links: ≥256-bit tokens, stored only as SHA-256, single use, expiring."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.errors import Gone, NotFound
from backend.identity.staff import agency_timeline, check_roles, ensure_agency, new_staff_id
from backend.identity.tables import Invite, Staff
from backend.ledger.entry import Draft, utc_iso
from backend.ledger.ledger import Ledger
from backend.settings import Settings

INVITE_TTL = timedelta(days=3)


def invite_link(settings: Settings, token: str) -> str:
    # The PWA's register screen reads the token from the hash query (#/register?token=...).
    return f"{settings.public_url}/#/register?token={token}"


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
    await ensure_agency(agency_id)
    token = secrets.token_urlsafe(32)
    staff_id = new_staff_id()
    now = datetime.now(UTC)
    await Invite.insert(
        Invite(
            token_hash=token_hash(token),
            agency_id=agency_id,
            staff_id=staff_id,
            name=name or staff_id,
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
                f"invite:{staff_id}",
                {
                    "staff_id": staff_id,
                    "name": name or staff_id,
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


async def open_invite(token: str, now: datetime | None = None) -> dict[str, Any]:
    """The invitation behind a token, if it is still usable."""
    now = now or datetime.now(UTC)
    row = await Invite.select().where(Invite.token_hash == token_hash(token or "")).first()
    if row is None:
        raise NotFound("this invitation link is not valid", code="invite_not_found")
    if row["used_at"] is not None:
        raise Gone("this invitation link was already used", code="invite_used")
    if row["expires_at"] <= now:
        raise Gone("this invitation link expired; ask for a new one", code="invite_expired")
    return row


def invited_staff(invite: dict[str, Any]) -> dict[str, Any]:
    """The staff member an invitation will create (used for the registration options)."""
    return {
        "staff_id": invite["staff_id"],
        "agency_id": invite["agency_id"],
        "name": invite["name"],
    }


async def use_invite(invite: dict[str, Any]) -> None:
    """Mark used exactly once (a concurrent second use gets Gone) and create the staff member."""
    taken = (
        await Invite.update({Invite.used_at: datetime.now(UTC)})
        .where((Invite.token_hash == invite["token_hash"]) & Invite.used_at.is_null())
        .returning(Invite.id)
    )
    if not taken:
        raise Gone("this invitation link was already used", code="invite_used")
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
