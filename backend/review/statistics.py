"""Statistics per agency, unit, officer and month, computed from the timelines and the compliance engine.

Each case contributes facts `(month, officer, metric, count)`; a report adds them up along the
dimensions asked for. Cases count in the month they were opened, for their handler; records and
media count in the month they were made, for the officer who made them.

A case's facts are kept in `review_case_facts` with the last log index they include and the hour
they were weighed at: a report reads only the timelines of cases that changed since (or all of
them once an hour, since deadlines pass with time), on whichever server it is asked.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from backend.cases.compliance import evaluate
from backend.cases.lifecycle import pack_for
from backend.cases.stages import case_facts, current_stage
from backend.database import derived_transaction, in_lists
from backend.ledger import reads
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger, entry_time
from backend.ledger.timelines import agency_timeline
from backend.review.agency_scope import (
    agency_case_ids,
    entries_of_kinds,
    month_of,
)
from backend.review.statistics_words import (
    COVERAGE_TITLE,
    dimension_title,
    dimension_value,
    directory_index,
    metric_title,
    pick,
)
from backend.review.tables import CaseStatFacts

DIMENSIONS = ("agency", "unit", "officer", "month")
SERVICE_PREFIX = "record.service_"
EXIF_CONSISTENT = {"consistent", "ok"}


def exif_codes(findings: Any) -> list[str]:
    """Finding codes from a media entry's `payload.findings`, whatever shape the evidence check used."""
    if isinstance(findings, dict):
        if "code" in findings or "status" in findings:
            return exif_codes([findings])
        return [k for k, v in findings.items() if v and k not in EXIF_CONSISTENT]
    codes = []
    for item in findings or []:
        code = item if isinstance(item, str) else (item.get("code") or item.get("status") or "")
        if code and code not in EXIF_CONSISTENT:
            codes.append(str(code))
    return codes


def case_facts_for_stats(
    entries: list[Entry], pack: Any, now: datetime
) -> list[tuple[str, str, str, int]]:
    """(month, officer, metric, count) facts for one case."""
    bodies = [{"hash": e.hash, **e.body} for e in entries]
    facts_out: list[tuple[str, str, str, int]] = []
    by_hash = {e.hash: e for e in entries}
    opened = case_facts(bodies)
    if not opened:
        return facts_out
    first = entries[0]
    handler = next(
        (
            e.payload.get("staff_id")
            for e in entries
            if e.kind == "case.member_added" and e.payload.get("role") == "handler"
        ),
        first.body.get("actor") or "",
    )
    month = month_of(entry_time(first))

    def add(at: Entry | None, metric: str, count: int = 1) -> None:
        who = (at.body.get("actor") if at else None) or handler
        when = month_of(entry_time(at)) if at else month
        facts_out.append((when, who, metric, count))

    add(None, "cases")
    add(None, f"stage:{current_stage(bodies)}")
    add(None, f"kind:{opened.get('enforcement_kind', '')}")
    for req in evaluate(pack, bodies, now):
        at = by_hash.get(req.entry_hash or "")
        if req.id.startswith("av:") and req.status in ("met", "missing"):
            add(at, "av_required")
            if req.status == "met":
                add(at, "av_recorded")
        elif req.id.startswith("av_upload:") and req.status == "late":
            add(at, "late_uploads")
        elif req.id.startswith("signatures") and req.status == "missing":
            add(at, "missing_signatures")
        elif (
            req.id.startswith("signatures:")
            and req.status == "met"
            and at is not None
            and at.kind.startswith(SERVICE_PREFIX)
        ):
            add(at, "service_success")
    for entry in entries:
        for sig in entry.payload.get("signatures") or []:
            if isinstance(sig, dict) and sig.get("method") == "refused":
                add(entry, "refusals")
        if entry.kind.startswith(SERVICE_PREFIX):
            add(entry, f"service:{entry.kind.removeprefix(SERVICE_PREFIX)}")
        if entry.kind.startswith("media."):
            for code in exif_codes(entry.payload.get("findings")):
                add(entry, f"exif:{code}")
    return facts_out


ALWAYS_COUNTED = (
    "cases",
    "av_required",
    "av_recorded",
    "late_uploads",
    "missing_signatures",
    "refusals",
    "service_success",
    "spot_checked",
    "spot_compliant",
    "spot_deficient",
    "spot_serious",
)
SPOT_OUTCOMES = ("compliant", "deficient", "serious")


async def spot_check_facts(agency_id: str) -> list[tuple[str, str, str, int]]:
    """(month, officer, metric, count) for each finding: the draw's month and officer."""
    entries = await entries_of_kinds(
        [agency_timeline(agency_id)], ["spotcheck.drawn", "spotcheck.finding"]
    )
    draws = {e.hash: e.payload for e in entries if e.kind == "spotcheck.drawn"}
    out = []
    for finding in (e for e in entries if e.kind == "spotcheck.finding"):
        draw = draws.get(finding.payload.get("draw"))
        if draw is None:
            continue
        month, officer = draw["period"], draw["officer"]
        out.append((month, officer, "spot_checked", 1))
        if finding.payload.get("outcome") in SPOT_OUTCOMES:
            out.append((month, officer, f"spot_{finding.payload['outcome']}", 1))
    return out


async def officer_units() -> dict[str, str]:
    """Staff id -> unit, from identity when it keeps units; empty otherwise."""
    try:
        from backend.identity.tables import Staff  # type: ignore[attr-defined]

        rows = await Staff.select()
    except (ImportError, AttributeError):
        return {}
    return {r["staff_id"]: r.get("unit_id") or r.get("unit") or "" for r in rows if "staff_id" in r}


async def statistics(
    ledger: Ledger,
    agency_id: str,
    now: datetime,
    group_by: tuple[str, ...] = ("officer", "month"),
    month_from: str | None = None,
    month_to: str | None = None,
) -> dict[str, Any]:
    """Counts grouped by the chosen dimensions, plus totals; the same numbers the CSV carries."""
    group_by = tuple(d for d in DIMENSIONS if d in group_by)
    pack = await pack_for(agency_id)
    units = await officer_units()
    table: dict[tuple, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    facts: list[tuple[str, str, str, int]] = await spot_check_facts(agency_id)
    facts += await kept_case_facts(ledger, (await agency_case_ids(agency_id))[1:], pack, now)
    for month, officer, metric, count in facts:
        if (month_from and month < month_from) or (month_to and month > month_to):
            continue
        dims = {
            "agency": agency_id,
            "unit": units.get(officer, ""),
            "officer": officer,
            "month": month,
        }
        table[tuple(dims[d] for d in group_by)][metric] += count
        totals[metric] += count
    # Every metric the pack makes possible is a column even at zero, so periods and units compare.
    baseline = {*ALWAYS_COUNTED, *(f"stage:{s}" for s in pack.stages)}
    baseline |= {f"kind:{k}" for k in pack.enforcement_kinds}
    # The headline counts first, in reading order; then stages, kinds, service ways, findings.
    metrics = [*ALWAYS_COUNTED, *sorted((set(totals) | baseline) - set(ALWAYS_COUNTED))]
    rows = [
        {
            **dict(zip(group_by, key, strict=True)),
            **{m: counts.get(m, 0) for m in metrics},
            "av_coverage": coverage(counts),
        }
        for key, counts in sorted(table.items())
    ]
    return {
        "agency_id": agency_id,
        "group_by": list(group_by),
        "metrics": metrics,
        "rows": rows,
        "totals": {m: totals.get(m, 0) for m in metrics},
        "av_coverage": coverage(totals),
    }


Fact = tuple[str, str, str, int]


async def kept_case_facts(
    ledger: Ledger, case_ids: list[str], pack: Any, now: datetime
) -> list[Fact]:
    """Every case's facts: kept ones where the case has not changed within this hour, the rest
    computed from their timelines now and kept for the next report."""
    hour = now.astimezone(UTC).strftime("%Y-%m-%dT%H")
    out: list[Fact] = []
    for chunk in in_lists(case_ids):
        marks = ", ".join("{}" for _ in chunk)
        heads = await reads.heads(chunk)
        kept = {
            r["case_id"]: r
            for r in await CaseStatFacts.raw(
                f"SELECT case_id, head, hour, facts FROM review_case_facts WHERE case_id IN ({marks})",
                *chunk,
            )
        }
        stale = []
        for case_id in chunk:
            row = kept.get(case_id)
            if row is not None and row["head"] == heads.get(case_id) and row["hour"] == hour:
                out += [tuple(f) for f in json.loads(row["facts"])]  # type: ignore[misc]
            elif case_id in heads:
                stale.append(case_id)
        fresh = {
            case_id: case_facts_for_stats(timeline, pack, now)
            for case_id, timeline in (await ledger.whole_timelines(stale)).items()
        }
        for found in fresh.values():
            out += found
        if fresh:
            await _keep(fresh, heads, hour)
    return out


async def _keep(fresh: dict[str, list[Fact]], heads: dict[str, int], hour: str) -> None:
    # Derived rows: a crash that loses them costs a recomputation, never a wrong report.
    async with derived_transaction(CaseStatFacts._meta.db):
        for case_id, found in fresh.items():
            await CaseStatFacts.raw(
                "INSERT INTO review_case_facts (case_id, head, hour, facts) VALUES ({}, {}, {}, {}) "
                "ON CONFLICT (case_id) DO UPDATE SET head = excluded.head, hour = excluded.hour, "
                "facts = excluded.facts",
                case_id,
                heads[case_id],
                hour,
                json.dumps(found, ensure_ascii=False),
            )


def coverage(counts: Counter) -> float | None:
    """Share of the matters that needed audio-visual recording that have one (None: none needed)."""
    return (
        round(counts["av_recorded"] / counts["av_required"], 4) if counts["av_required"] else None
    )


def statistics_csv(
    report: dict[str, Any], directory: dict[str, Any] | None = None, lang: str = "zh-CN"
) -> str:
    """The report as CSV with column titles and values in words (UTF-8 with a BOM, so spreadsheet
    programs read the Chinese correctly); coverage as a percentage."""
    names = directory_index(directory or {"staff": [], "units": []})
    out = io.StringIO()
    writer = csv.writer(out)
    dims, metrics = report["group_by"], report["metrics"]
    writer.writerow(
        [
            *(dimension_title(d, lang) for d in dims),
            pick(COVERAGE_TITLE, lang),
            *(metric_title(m, lang) for m in metrics),
        ]
    )
    for row in report["rows"]:
        share = row.get("av_coverage")
        writer.writerow(
            [dimension_value(d, row[d], names, lang) for d in dims]
            + ["" if share is None else f"{share * 100:.1f}%"]
            + [row[m] for m in metrics]
        )
    return "\ufeff" + out.getvalue()
