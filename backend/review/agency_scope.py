"""Which timelines belong to an agency, and small period arithmetic shared by review reports."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from backend.errors import Invalid
from backend.ledger import reads
from backend.ledger.entry import Entry
from backend.ledger.ledger import entry_time
from backend.ledger.timelines import agency_timeline

MEDIA_KINDS = ("media.photo", "media.audio", "media.video", "media.signature", "media.fingerprint")
RECORDING_KINDS = ("media.audio", "media.video")
# Recorder and fixed-camera files: custody on the agency timeline, references from cases.
IMPORTED_RECORDING, LINKED_RECORDING = "recording.imported", "recording.linked"


async def agency_case_ids(agency_id: str) -> list[str]:
    """The agency's cases (from the case projection) and its own agency-level timeline."""
    from backend.cases.tables import CaseState

    rows = await CaseState.select(CaseState.case_id).where(CaseState.agency_id == agency_id)
    return [agency_timeline(agency_id), *sorted(r["case_id"] for r in rows)]


async def entries_of_kinds(case_ids: Iterable[str], kinds: Iterable[str]) -> list[Entry]:
    """Entries of the given kinds on the given timelines, in log order."""
    return await reads.of_kinds(case_ids, kinds)


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


# ASCII digits only (int() takes any Unicode digit); years a calendar here can hold.
MONTH = re.compile(r"([12][0-9]{3})-(0[1-9]|1[0-2])")


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a "YYYY-MM" month in UTC; anything else is 400 `bad_period`."""
    match = MONTH.fullmatch(period)
    if match is None:
        raise Invalid("period must be a month, YYYY-MM", code="bad_period", detail=period[:20])
    year, month = int(match[1]), int(match[2])
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def previous_month(now: datetime) -> str:
    start, _ = month_bounds(month_of(now))
    year, month = start.year, start.month - 1
    if month == 0:
        year, month = year - 1, 12
    return f"{year:04d}-{month:02d}"


def when(entry: Entry) -> datetime:
    return entry_time(entry)


def payload_of(entry: Entry | dict[str, Any]) -> dict[str, Any]:
    body = entry.body if isinstance(entry, Entry) else entry
    return body.get("payload") or {}


async def recordings_by_officer(agency_id: str, period: str) -> dict[str, list[Entry]]:
    """Every recording of `period` per officer: phone captures and imported recorder files.

    A phone capture belongs to whoever recorded it. An imported file belongs to the officer who
    wore the recorder (not the clerk who imported it) and counts once however many cases it is
    on: as its first `recording.linked` entry, so a supervisor replays it on its case, or as its
    custody entry while it is unassigned. Each officer's list is in log order, so the seed made
    from it can be recomputed from the ledger.
    """
    start, end = month_bounds(period)
    found: dict[str, list[Entry]] = defaultdict(list)
    entries = await entries_of_kinds(
        await agency_case_ids(agency_id),
        [*RECORDING_KINDS, IMPORTED_RECORDING, LINKED_RECORDING],
    )
    first_link: dict[str, Entry] = {}
    for entry in entries:
        if entry.kind == LINKED_RECORDING and entry.payload.get("agency_id") == agency_id:
            first_link.setdefault(entry.payload.get("sha256", ""), entry)
    for entry in entries:
        if entry.kind in RECORDING_KINDS:
            officer, chosen = entry.body.get("actor"), entry
        elif entry.kind == IMPORTED_RECORDING:
            officer = entry.payload.get("officer")
            chosen = first_link.get(entry.payload.get("sha256", ""), entry)
        else:
            continue
        if officer and start <= when(chosen) < end:
            found[officer].append(chosen)
    for officer in found:
        found[officer].sort(key=lambda e: e.log_index)
    return found
