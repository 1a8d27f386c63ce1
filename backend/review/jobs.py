"""Review's periodic jobs: signed checkpoints, monthly spot-check draws, holds from pack triggers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from backend.errors import CaseTrailError
from backend.jobs import Job
from backend.review.agency_scope import previous_month
from backend.review.retention import record_detected_holds
from backend.review.spotchecks import draw_period

log = logging.getLogger("casetrail.jobs")
HOURLY = 3600


async def agencies() -> list[str]:
    from backend.cases.tables import CaseState

    rows = await CaseState.select(CaseState.agency_id).distinct()
    return sorted({r["agency_id"] for r in rows})


async def draw_last_month(ledger: Any, now: datetime | None = None) -> int:
    """Each agency's spot checks for the month just ended (once; later runs find them drawn)."""
    now = now or datetime.now(UTC)
    drawn = 0
    for agency_id in await agencies():
        try:
            drawn += len(await draw_period(ledger, agency_id, previous_month(now), now))
        except CaseTrailError as problem:
            log.warning("spot-check draw for %s skipped: %s", agency_id, problem.message)
    return drawn


async def place_detected_holds(ledger: Any) -> int:
    placed = 0
    for agency_id in await agencies():
        try:
            placed += len(await record_detected_holds(ledger, agency_id))
        except CaseTrailError as problem:
            log.warning("hold detection for %s skipped: %s", agency_id, problem.message)
    return placed


async def checkpoint_if_grown(ledger: Any) -> bool:
    """Sign a checkpoint when the log has grown past the last one; returns whether it signed."""
    tree = await ledger.sync_tree()
    latest = await ledger.latest_checkpoint()
    if tree.size == 0 or (latest is not None and latest.size == tree.size):
        return False
    await ledger.checkpoint()
    return True


def jobs(runtime: Any) -> list[Job]:
    ledger = runtime.ledger
    settings = runtime.settings
    return [
        Job(
            "checkpoint",
            settings.checkpoint_interval_s,
            lambda: checkpoint_if_grown(ledger),
            first_after_s=settings.checkpoint_first_s,
        ),
        Job("spotcheck_draw", HOURLY, lambda: draw_last_month(ledger)),
        Job("retention_holds", HOURLY, lambda: place_detected_holds(ledger)),
    ]
