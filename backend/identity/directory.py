"""The agency's staff directory as officers see it: who can be put on a case, never another agency's."""

from __future__ import annotations

import json
from typing import Any

from backend.identity.tables import Staff


async def colleagues(agency_id: str) -> list[dict[str, Any]]:
    """Active staff of `agency_id` with what a picker shows (name, unit, 执法证号), by name.

    Officers get this, not the admin's staff list: no clearances, passkeys or certificate dates.
    """
    rows = await Staff.select(
        Staff.staff_id, Staff.name, Staff.unit_id, Staff.cert_number, Staff.roles
    ).where((Staff.agency_id == agency_id) & (Staff.active == True))  # noqa: E712
    return [
        {
            "staff_id": r["staff_id"],
            "name": r["name"],
            "unit_id": r["unit_id"],
            "cert_number": r["cert_number"],
            "roles": json.loads(r["roles"] or "[]"),
        }
        for r in sorted(rows, key=lambda r: (r["name"], r["staff_id"]))
    ]


async def names_of(staff_ids: list[str], agency_id: str) -> dict[str, dict[str, Any]]:
    """Name, unit and 执法证号 of these staff ids, only where they belong to `agency_id`."""
    if not staff_ids:
        return {}
    rows = await Staff.select(Staff.staff_id, Staff.name, Staff.unit_id, Staff.cert_number).where(
        Staff.staff_id.is_in(list(set(staff_ids))) & (Staff.agency_id == agency_id)
    )
    return {r["staff_id"]: r for r in rows}
