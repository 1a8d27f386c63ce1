"""Random-draw commitments an officer abandoned or left unrevealed, for the spot-check ledger (检查台帐).

A commitment lets its officer see the draw before anyone else; one that is abandoned, replaced
before its reveal, or still unrevealed past `random_draw.REVEAL_WITHIN` may hide a draw the officer
did not like. Each is listed under its officer, on whichever of the agency's cases it was made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.cases import random_draw
from backend.cases.tables import CaseState
from backend.ledger.entry import utc_iso
from backend.ledger.ledger import Ledger
from backend.review.agency_scope import agency_case_ids, entries_of_kinds


def _fate(c: random_draw.Commitment, now: datetime) -> str | None:
    if c.abandon is not None:
        return "abandoned"
    if c.superseded_by is not None:
        return "superseded"
    if not c.reveals and now > c.reveal_due:
        return "unrevealed"
    return None


async def draw_flags(ledger: Ledger, agency_id: str, now: datetime) -> list[dict[str, Any]]:
    """Each flagged commitment of the agency: officer, case (with its title), what became of it."""
    case_ids = (await agency_case_ids(agency_id))[1:]
    with_draws = sorted(
        {e.case_id for e in await entries_of_kinds(case_ids, [random_draw.COMMIT_KIND])}
    )
    if not with_draws:
        return []
    titles = {
        r["case_id"]: r["title"]
        for r in await CaseState.select(CaseState.case_id, CaseState.title).where(
            CaseState.case_id.is_in(with_draws)
        )
    }
    rows = []
    for case_id, timeline in (await ledger.whole_timelines(with_draws)).items():
        for c in random_draw.history({**e.body, "hash": e.hash} for e in timeline):
            fate = _fate(c, now)
            if fate is None:
                continue
            rows.append(
                {
                    "officer": c.actor,
                    "case_id": case_id,
                    "case_title": titles.get(case_id, ""),
                    "plan": c.plan,
                    "commit_entry": c.hash,
                    "committed_at": c.entry["received_at"],
                    "reveal_due": utc_iso(c.reveal_due),
                    "status": fate,
                    "reason": (c.abandon or {}).get("payload", {}).get("reason"),
                    "abandoned_at": (c.abandon or {}).get("received_at"),
                }
            )
    return sorted(rows, key=lambda r: (r["officer"] or "", r["committed_at"]))
