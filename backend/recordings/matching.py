"""Which case steps a recording probably belongs to: the steps' time windows against the recording's.

Records are often written after the fact, so a step's window comes from what the record says about
when it took place (its kind schema names those fields), not from when it was submitted.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.cases.rules import KINDS_DIR, RulePack
from backend.identity.members import member_case_ids
from backend.ledger.ledger import Ledger
from backend.recordings.recording_times import moment
from backend.recordings.schemas import Proposal

# A record with only a moment (no start/end) counts as this long either side of it.
POINT_SLACK = timedelta(minutes=30)
# Recorders are started a little before and stopped a little after the step they record.
MATCH_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class StepWindow:
    """A recorded step of a case and the time it took place."""

    case_id: str
    case_title: str
    case_number: str | None
    step: str | None
    kind: str
    entry_hash: str
    started_at: datetime
    ended_at: datetime


@functools.cache
def _schema_times(kind: str, version: int) -> tuple[tuple[str, ...], str | None] | None:
    """The schema's own word on which payload fields say when the step took place.

    `x-time-window: [start, end]` or `x-moment: field | [field, ...]` (first present wins);
    `x-moment: null` declares that none of its times is when the step happened (a public notice's
    deemed service date). None when the schema says nothing, or there is no such schema.
    """
    path = KINDS_DIR / f"{kind}.v{version}.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if "x-time-window" in schema:
        start, end = schema["x-time-window"]
        return (start,), end
    if "x-moment" in schema:
        moment_fields = schema["x-moment"]
        fields = (moment_fields,) if isinstance(moment_fields, str) else tuple(moment_fields or ())
        return fields, None
    return None


def step_time(entry: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """When a record says its step took place, as a window; the claimed time when it says nothing.

    Records are often written after the fact (a service record typed up back at the office), so
    the moment the record describes matters, not the moment it was submitted.
    """
    body = entry.get("payload") or {}
    kind = entry.get("kind", "")
    declared = _schema_times(kind, int(entry.get("kind_version") or 1))
    if declared is None:
        # A kind that declares nothing: the conventional names, if the record has them.
        starts, end_field = ("started_at",), "ended_at"
    else:
        starts, end_field = declared
    start = next((t for t in (moment(body.get(f)) for f in starts) if t is not None), None)
    if start is not None:
        end = moment(body.get(end_field)) if end_field else None
        if end_field is None:
            return start - POINT_SLACK, start + POINT_SLACK
        if end is None or end < start:
            end = start + POINT_SLACK
        return start, end
    point = moment((entry.get("claimed") or {}).get("time")) or moment(entry.get("received_at"))
    if point is None:
        return None
    return point - POINT_SLACK, point + POINT_SLACK


def step_windows(
    case_id: str, entries: list[dict[str, Any]], pack: RulePack | None
) -> list[StepWindow]:
    """The time windows of a case's record entries (latest version of each), by pack step."""
    opened = next((e for e in entries if e.get("kind") == "case.opened"), None)
    payload = (opened or {}).get("payload") or {}
    title, number = payload.get("title", ""), payload.get("number")
    corrected = {(e.get("corrects") or {}).get("hash") for e in entries} - {None}
    step_of: dict[str, str] = {}
    if pack is not None:
        for step_id, step in pack.steps.items():
            for kind in step["any_of"]:
                step_of.setdefault(kind, step_id)
    windows = []
    for entry in entries:
        kind = entry.get("kind", "")
        if not kind.startswith("record.") or entry["hash"] in corrected:
            continue
        window = step_time(entry)
        if window is None:
            continue
        start, end = window
        windows.append(
            StepWindow(case_id, title, number, step_of.get(kind), kind, entry["hash"], start, end)
        )
    return windows


def propose(
    started_at: datetime | None, ended_at: datetime | None, windows: list[StepWindow]
) -> list[Proposal]:
    """Steps whose window overlaps the recording, most overlap first."""
    if started_at is None or ended_at is None:
        return []
    begin, end = started_at - MATCH_SLACK, ended_at + MATCH_SLACK
    found = []
    for w in windows:
        if (min(end, w.ended_at) - max(begin, w.started_at)).total_seconds() > 0:
            overlap = (min(ended_at, w.ended_at) - max(started_at, w.started_at)).total_seconds()
            found.append(
                Proposal(
                    case_id=w.case_id,
                    case_title=w.case_title,
                    case_number=w.case_number,
                    step=w.step,
                    kind=w.kind,
                    for_entry=w.entry_hash,
                    overlap_s=max(int(overlap), 0),
                )
            )
    return sorted(found, key=lambda p: (-p.overlap_s, p.case_id, p.for_entry))


async def officer_cases(agency_id: str, staff_id: str) -> list[str]:
    """The agency's cases the staff member is on now (identity's membership, removals applied)."""
    return await member_case_ids(staff_id, agency_id)


async def officer_windows(
    ledger: Ledger, agency_id: str, staff_id: str, pack: RulePack | None
) -> list[StepWindow]:
    """The step windows of every case of the agency the officer is on."""
    windows: list[StepWindow] = []
    for case_id in await officer_cases(agency_id, staff_id):
        entries = [{"hash": e.hash, **e.body} for e in await ledger.whole_timeline(case_id)]
        opened = next((e for e in entries if e["kind"] == "case.opened"), None)
        if opened is None or opened["payload"].get("agency_id") != agency_id:
            continue
        windows += step_windows(case_id, entries, pack)
    return windows
