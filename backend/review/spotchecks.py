"""Spot checks (检查台帐): a reproducible random sample of recordings per officer and month, and findings.

The sample is drawn from a seed that is a hash of the agency, month, officer and the sorted list of
candidate recordings, so anyone holding the timeline can redraw it and see nobody picked the sample.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import datetime, timedelta
from typing import Any

from backend.cases.lifecycle import pack_for
from backend.errors import Invalid, NotFound
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger
from backend.ledger.timelines import agency_timeline
from backend.moments import parse_iso
from backend.review.agency_scope import (
    entries_of_kinds,
    month_bounds,
    recordings_by_officer,
)

DEFAULT_DUE_DAYS = 15
DRAW_FORMAT = "casetrail-spotcheck/1"


def quota(population: int, rule: dict[str, Any]) -> int:
    """The pack's share of recordings, at least its monthly minimum, never more than there are."""
    share = math.ceil(population * float(rule.get("percent", 0)) / 100)
    return min(population, max(share, int(rule.get("min_per_month", 0))))


def draw_seed(agency_id: str, period: str, officer: str, candidates: list[str]) -> str:
    text = "|".join([DRAW_FORMAT, agency_id, period, officer, *sorted(candidates)])
    return hashlib.sha256(text.encode()).hexdigest()


def draw_sample(seed: str, candidates: list[str], count: int) -> list[str]:
    """Deterministic sample from the seed (Python's Mersenne Twister, seeded with the 256-bit seed)."""
    return random.Random(int(seed, 16)).sample(sorted(candidates), count)


def sample_item(entry: Entry) -> dict[str, Any]:
    item = {"entry_hash": entry.hash, "case_id": entry.case_id, "kind": entry.kind}
    for name in ("sha256", "media_type"):
        if isinstance(entry.payload.get(name), str):
            item[name] = entry.payload[name]
    return item


async def existing_draws(ledger: Ledger, agency_id: str) -> list[Entry]:
    return await entries_of_kinds([agency_timeline(agency_id)], ["spotcheck.drawn"])


async def draw_period(
    ledger: Ledger, agency_id: str, period: str, now: datetime, actor: str = "system"
) -> list[Entry]:
    """Draw (once) each officer's sample for `period`; returns that month's draw entries."""
    pack = await pack_for(agency_id)
    rule = pack.data["spot_check"]
    due_days = int(rule.get("due_days", DEFAULT_DUE_DAYS))
    _, end = month_bounds(period)
    # Supervisors get the full period to replay, counted from the draw if it was made late.
    due_at = max(end, now) + timedelta(days=due_days)
    done = {
        e.payload["officer"]: e
        for e in await existing_draws(ledger, agency_id)
        if e.payload["period"] == period
    }
    draws = list(done.values())
    for officer, recordings in sorted((await recordings_by_officer(agency_id, period)).items()):
        if officer in done:
            continue
        by_hash = {e.hash: e for e in recordings}
        seed = draw_seed(agency_id, period, officer, list(by_hash))
        chosen = draw_sample(seed, list(by_hash), quota(len(by_hash), rule))
        draws.append(
            await ledger.append(
                Draft(
                    case_id=agency_timeline(agency_id),
                    kind="spotcheck.drawn",
                    client_id=f"spotcheck:{agency_id}:{period}:{officer}",
                    payload={
                        "period": period,
                        "officer": officer,
                        "items": [sample_item(by_hash[h]) for h in chosen],
                        "population": len(by_hash),
                        "quota": len(chosen),
                        "seed": seed,
                        "due_at": utc_iso(due_at),
                        "rule": {
                            "percent": rule.get("percent"),
                            "min_per_month": rule.get("min_per_month"),
                            "citation": rule.get("citation"),
                        },
                    },
                    actor=actor,
                )
            )
        )
    return draws


async def record_finding(
    ledger: Ledger,
    agency_id: str,
    *,
    actor: str,
    client_id: str,
    draw: str,
    entry_hash: str,
    outcome: str,
    checks: dict[str, bool],
    notes: str = "",
    replayed_s: float | None = None,
    follow_up: str | None = None,
) -> Entry:
    """The supervisor's structured finding on one sampled recording, as an agency-timeline entry."""
    draws = {e.hash: e for e in await existing_draws(ledger, agency_id)}
    if draw not in draws:
        raise NotFound("no such spot-check draw in this agency", code="draw_not_found")
    items = {i["entry_hash"]: i for i in draws[draw].payload["items"]}
    if entry_hash not in items:
        raise Invalid("that recording is not in this draw", code="not_in_draw")
    payload: dict[str, Any] = {
        "draw": draw,
        "entry_hash": entry_hash,
        "case_id": items[entry_hash]["case_id"],
        "outcome": outcome,
        "checks": checks,
        "notes": notes,
    }
    if replayed_s is not None:
        payload["replayed_s"] = replayed_s
    if follow_up:
        payload["follow_up"] = follow_up
    return await ledger.append(
        Draft(
            case_id=agency_timeline(agency_id),
            kind="spotcheck.finding",
            client_id=client_id,
            payload=payload,
            actor=actor,
        )
    )


async def spot_check_ledger(
    agency_id: str, now: datetime, period: str | None = None
) -> list[dict[str, Any]]:
    """The inspection ledger: every drawn recording with its finding, pending or overdue."""
    timeline = [agency_timeline(agency_id)]
    entries = await entries_of_kinds(timeline, ["spotcheck.drawn", "spotcheck.finding"])
    findings = {
        (e.payload["draw"], e.payload["entry_hash"]): e
        for e in entries
        if e.kind == "spotcheck.finding"
    }
    rows = []
    for draw in (e for e in entries if e.kind == "spotcheck.drawn"):
        p = draw.payload
        if period and p["period"] != period:
            continue
        due_at = parse_iso(p["due_at"])
        for item in p["items"]:
            finding = findings.get((draw.hash, item["entry_hash"]))
            status = "done" if finding else ("overdue" if now > due_at else "pending")
            rows.append(
                {
                    "draw": draw.hash,
                    "period": p["period"],
                    "officer": p["officer"],
                    "entry_hash": item["entry_hash"],
                    "case_id": item["case_id"],
                    "kind": item.get("kind"),
                    "sha256": item.get("sha256"),
                    "media_type": item.get("media_type"),
                    "population": p["population"],
                    "quota": p["quota"],
                    "due_at": p["due_at"],
                    "status": status,
                    "finding": (
                        {
                            "hash": finding.hash,
                            "actor": finding.body.get("actor"),
                            "received_at": finding.body["received_at"],
                            **finding.payload,
                        }
                        if finding
                        else None
                    ),
                }
            )
    return rows
