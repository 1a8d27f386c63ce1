"""Names for ids on the supervisor screens: staff and units of one agency, and the filter choices.

Supervisors read every case of the agency but identity's staff list is for admins (it shows roles,
clearances and passkeys); this answers only what a reader needs to put a name to an id.
"""

from __future__ import annotations

from typing import Any

from backend.cases.lifecycle import pack_for


async def staff_names(agency_id: str) -> dict[str, Any]:
    """`{"staff": [{staff_id, name, unit_id, unit, active}], "units": [{unit_id, name}]}`."""
    from backend.identity.tables import Staff, Unit

    units = await Unit.select(Unit.unit_id, Unit.name).where(Unit.agency_id == agency_id)
    unit_name = {u["unit_id"]: u["name"] for u in units}
    rows = await (
        Staff.select(Staff.staff_id, Staff.name, Staff.unit_id, Staff.active)
        .where(Staff.agency_id == agency_id)
        .order_by(Staff.name)
    )
    staff = [
        {
            "staff_id": r["staff_id"],
            "name": r["name"],
            "unit_id": r["unit_id"],
            "unit": unit_name.get(r["unit_id"]) or r["unit_id"],
            "active": bool(r["active"]),
        }
        for r in rows
    ]
    # Staff may name a unit identity has no row for (seeded or imported staff): still a choice.
    for s in staff:
        if s["unit_id"] and s["unit_id"] not in unit_name:
            unit_name[s["unit_id"]] = s["unit_id"]
    return {
        "staff": staff,
        "units": [
            {"unit_id": k, "name": v} for k, v in sorted(unit_name.items(), key=lambda x: x[1])
        ],
    }


async def filter_choices(agency_id: str) -> dict[str, Any]:
    """What the case list can be filtered by: the agency's units and officers, the pack's stages and kinds."""
    names = await staff_names(agency_id)
    pack = await pack_for(agency_id)
    return {
        "units": names["units"],
        "officers": [
            {"staff_id": s["staff_id"], "name": s["name"], "unit": s["unit"]}
            for s in names["staff"]
        ],
        "stages": pack.stages,
        "enforcement_kinds": pack.enforcement_kinds,
    }
