"""Agencies and staff: who works where, with which roles and clearances, and whether still active."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.errors import Forbidden, Invalid, NotFound
from backend.identity import remembered
from backend.identity.access import Principal
from backend.identity.certificates import cert_status, check_cert_date, china_date
from backend.identity.roles import ROLES
from backend.identity.tables import Agency, Passkey, Staff, WebSession
from backend.ledger.entry import Draft
from backend.ledger.ledger import Ledger
from backend.ledger.timelines import agency_timeline

CLEARANCES = ("secret", "business_secret", "privacy")
RULES_DIR = Path(__file__).resolve().parents[2] / "shared" / "rules"


def check_roles(roles: list[str] | tuple[str, ...]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise Invalid(f"unknown or missing roles: {', '.join(unknown) or '(none)'}", "bad_roles")
    return sorted(set(roles))


async def ensure_agency(agency_id: str, name: str | None = None) -> dict[str, Any]:
    """The agency's row, created on first use; bound to the rule pack of the same id if one exists."""
    if not agency_id or len(agency_id) > 80 or ":" in agency_id:
        raise Invalid("agency id must be 1 to 80 characters without ':'", "bad_agency")
    row = await Agency.select().where(Agency.agency_id == agency_id).first()
    if row is not None:
        return row
    pack = RULES_DIR / f"{agency_id}.json"
    pack_name = None
    if pack.is_file():
        pack_name = json.loads(pack.read_text(encoding="utf-8"))["agency"].get("name_zh")
    await Agency.insert(
        Agency(
            agency_id=agency_id,
            name=name or pack_name or agency_id,
            rule_pack=agency_id if pack.is_file() else None,
            created_at=datetime.now(UTC),
        )
    )
    return await Agency.select().where(Agency.agency_id == agency_id).first()


def new_staff_id() -> str:
    return f"s-{uuid.uuid4().hex[:12]}"


def principal_of_row(row: dict[str, Any]) -> Principal:
    return Principal(
        staff_id=row["staff_id"],
        agency_id=row["agency_id"],
        name=row["name"],
        roles=frozenset(json.loads(row["roles"] or "[]")),
        clearances=frozenset(json.loads(row["clearances"] or "[]")),
    )


async def staff_row(staff_id: str) -> dict[str, Any]:
    row = await Staff.select().where(Staff.staff_id == staff_id).first()
    if row is None:
        raise NotFound("no such staff member", code="staff_not_found")
    return row


def staff_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "staff_id": row["staff_id"],
        "agency_id": row["agency_id"],
        "unit_id": row["unit_id"],
        "name": row["name"],
        "cert_number": row["cert_number"],
        "cert_valid_until": row["cert_valid_until"],
        "cert_status": cert_status(row["cert_valid_until"], china_date(datetime.now(UTC))),
        "roles": json.loads(row["roles"] or "[]"),
        "clearances": json.loads(row["clearances"] or "[]"),
        "active": bool(row["active"]),
    }


async def create_staff(
    staff_id: str,
    agency_id: str,
    name: str,
    roles: list[str],
    unit_id: str | None = None,
) -> dict[str, Any]:
    await ensure_agency(agency_id)
    await Staff.insert(
        Staff(
            staff_id=staff_id,
            agency_id=agency_id,
            unit_id=unit_id,
            name=name,
            roles=json.dumps(check_roles(roles)),
            clearances="[]",
            active=True,
            created_at=datetime.now(UTC),
        )
    )
    return await staff_row(staff_id)


def _same_agency(admin: Principal, row: dict[str, Any]) -> None:
    # Another agency's staff id is answered like an unknown one: no cross-agency probing.
    if row["agency_id"] != admin.agency_id:
        raise NotFound("no such staff member", code="staff_not_found")


async def change_staff(
    ledger: Ledger,
    admin: Principal,
    staff_id: str,
    client_id: str,
    roles: list[str] | None = None,
    clearances: list[str] | None = None,
    cert_number: str | None = None,
    cert_valid_until: str | None = None,
) -> dict[str, Any]:
    """An admin changes a colleague's roles, clearances or certificate; the change is a ledger entry."""
    row = await staff_row(staff_id)
    _same_agency(admin, row)
    changes: dict[str, Any] = {}
    if roles is not None:
        changes[Staff.roles] = json.dumps(check_roles(roles))
        if staff_id == admin.staff_id and "admin" not in roles:
            raise Forbidden("an admin cannot remove their own admin role", "last_admin_guard")
    if clearances is not None:
        unknown = set(clearances) - set(CLEARANCES)
        if unknown:
            raise Invalid(f"unknown clearances: {', '.join(sorted(unknown))}", "bad_clearance")
        changes[Staff.clearances] = json.dumps(sorted(set(clearances)))
    if cert_number is not None:
        changes[Staff.cert_number] = cert_number
    if cert_valid_until is not None:
        cert_valid_until = check_cert_date(cert_valid_until)
        changes[Staff.cert_valid_until] = cert_valid_until
    if not changes:
        return staff_json(row)
    payload: dict[str, Any] = {"staff_id": staff_id}
    if roles is not None:
        payload["roles"] = check_roles(roles)
    if clearances is not None:
        payload["clearances"] = sorted(set(clearances))
    if cert_number is not None:
        payload["cert_number"] = cert_number
    if cert_valid_until is not None:
        payload["cert_valid_until"] = cert_valid_until
    await ledger.append(
        Draft(agency_timeline(admin.agency_id), "staff.changed", client_id, payload, admin.staff_id)
    )
    await Staff.update(changes).where(Staff.staff_id == staff_id)
    remembered.forget_sessions()  # roles and clearances ride on the remembered principal
    return staff_json(await staff_row(staff_id))


async def deactivate_staff(
    ledger: Ledger, admin: Principal, staff_id: str, reason: str, client_id: str
) -> dict[str, Any]:
    """Deactivate at once: every session ends now and sign-in is refused from here on."""
    row = await staff_row(staff_id)
    _same_agency(admin, row)
    if staff_id == admin.staff_id:
        raise Forbidden("an admin cannot deactivate themselves", "self_deactivation")
    now = datetime.now(UTC)
    await Staff.update({Staff.active: False, Staff.deactivated_at: now}).where(
        Staff.staff_id == staff_id
    )
    await WebSession.update({WebSession.revoked_at: now}).where(
        (WebSession.staff_id == staff_id) & WebSession.revoked_at.is_null()
    )
    remembered.forget_sessions()
    await ledger.append(
        Draft(
            agency_timeline(admin.agency_id),
            "staff.deactivated",
            client_id,
            {"staff_id": staff_id, "reason": reason},
            admin.staff_id,
        )
    )
    return staff_json(await staff_row(staff_id))


async def agency_staff(agency_id: str) -> list[dict[str, Any]]:
    rows = await Staff.select().where(Staff.agency_id == agency_id).order_by(Staff.name)
    counts: dict[str, int] = {}
    for key in await Passkey.select(Passkey.staff_id).where(Passkey.revoked_at.is_null()):
        counts[key["staff_id"]] = counts.get(key["staff_id"], 0) + 1
    return [{**staff_json(r), "passkeys": counts.get(r["staff_id"], 0)} for r in rows]
