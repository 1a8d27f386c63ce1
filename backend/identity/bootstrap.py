"""The first administrator's registration link, printed by `casetrail init/serve` on a new data dir."""

from __future__ import annotations

import json
import os

from backend.identity.invites import create_invite
from backend.identity.staff import RULES_DIR
from backend.identity.tables import Agency, Staff
from backend.settings import Settings


async def first_admin_link(settings: Settings) -> str | None:
    """A fresh one-time admin link while no admin has registered yet; None afterwards.

    Expects the tables to be bound (inside `open_runtime`). The agency is the first one known,
    else $CASETRAIL_AGENCY, else the first rule pack shipped.
    """
    for row in await Staff.select(Staff.roles, Staff.active):
        if row["active"] and "admin" in json.loads(row["roles"] or "[]"):
            return None
    agency = await Agency.select(Agency.agency_id).order_by(Agency.id).first()
    if agency is not None:
        agency_id = agency["agency_id"]
    else:
        packs = sorted(p.stem for p in RULES_DIR.glob("*.json"))
        agency_id = os.environ.get("CASETRAIL_AGENCY") or (packs[0] if packs else "agency")
    invite = await create_invite(settings, agency_id, ["admin"], name="管理员 Administrator")
    return invite["link"]
