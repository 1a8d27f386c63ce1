"""The retention class a recorder file's custody entry states, with the date it runs to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.cases.rules import RulePack
from backend.errors import Invalid
from backend.ledger.entry import utc_iso
from backend.retention_periods import add_period


def retention(pack: RulePack, klass: str, since: datetime | None) -> dict[str, Any]:
    """A retention class of the pack with the date it runs to (None when tied to the dossier)."""
    rule = next((r for r in pack.data.get("retention", []) if r["class"] == klass), None)
    if rule is None:
        return {"class": klass, "period": None, "until": None, "citation": None}
    until = None
    if since is not None:
        try:
            end = add_period(since, rule["period"])
        except Invalid:  # `same_as_dossier`: the case's dossier decides, not a date of its own
            end = None
        until = utc_iso(end) if end else None
    return {
        "class": klass,
        "period": rule["period"],
        "until": until,
        "citation": rule["citation"],
    }
