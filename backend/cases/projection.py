"""Keeps CaseState in step with the ledger; `rebuild_cases` recomputes it from the entries alone."""

from __future__ import annotations

import json

from backend.cases.document_numbers import restore_number
from backend.cases.stages import STAGES, kind_stages
from backend.cases.tables import CaseState
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.projections import catch_up, follow, rebuild

CLOSING_KINDS = {"record.archive": "archived", "record.complaint_not_opened": "closed"}


def concerns_case(entry: Entry) -> bool:
    """Whether the entry changes its case's projected state (looking at a case is not activity)."""
    return not entry.case_id.startswith("agency:") and not entry.kind.startswith("access.")


async def apply_case_entry(entry: Entry) -> None:
    """Fold one entry into the case's projected state."""
    if not concerns_case(entry):
        return
    payload = entry.payload
    if entry.kind == "case.opened":
        if await CaseState.exists().where(CaseState.case_id == entry.case_id):
            return
        await CaseState.insert(
            CaseState(
                case_id=entry.case_id,
                agency_id=payload["agency_id"],
                number=payload.get("number"),
                title=payload["title"],
                stage="start",
                status="open",
                enforcement_kind=payload["enforcement_kind"],
                procedure=payload.get("procedure", "general"),
                start_path=payload.get("start_path", "ex_officio"),
                opened_at=entry.received_at,
                updated_at=entry.received_at,
                parties=json.dumps(payload.get("parties", []), ensure_ascii=False),
                last_seq=entry.seq,
            )
        )
        return
    changes: dict = {CaseState.updated_at: entry.received_at, CaseState.last_seq: entry.seq}
    stage = payload.get("stage") if entry.kind == "case.stage" else kind_stages().get(entry.kind)
    if stage in STAGES:
        row = (
            await CaseState.select(CaseState.stage)
            .where(CaseState.case_id == entry.case_id)
            .first()
        )
        # Same rule as stages.current_stage: a case only moves forward to the furthest stage reached.
        if row and STAGES.index(stage) > STAGES.index(row["stage"]):
            changes[CaseState.stage] = stage
    if entry.kind in CLOSING_KINDS:
        changes[CaseState.status] = CLOSING_KINDS[entry.kind]
    await CaseState.update(changes).where(CaseState.case_id == entry.case_id)


def _only_activity(entry: Entry) -> bool:
    """Whether the entry changes nothing of its case but its last activity (most entries)."""
    if entry.kind == "case.opened" or entry.kind in CLOSING_KINDS:
        return False
    stage = (
        entry.payload.get("stage") if entry.kind == "case.stage" else kind_stages().get(entry.kind)
    )
    return stage not in STAGES


async def apply_case_entries(entries: list[Entry]) -> None:
    """`apply_case_entry` on each entry in order, with one statement for the many entries that
    only mark activity: a batch of notes on two hundred cases was two hundred UPDATEs, one round
    trip each, before any of their writers was answered."""
    entries = [e for e in entries if concerns_case(e)]
    special = {e.case_id for e in entries if not _only_activity(e)}
    latest: dict[str, Entry] = {}
    for entry in entries:
        if entry.case_id in special:  # one at a time, in order, as catching up would
            await apply_case_entry(entry)
        elif entry.seq > latest.get(entry.case_id, entry).seq or entry.case_id not in latest:
            latest[entry.case_id] = entry
    for at in sorted({e.received_at for e in latest.values()}):  # one per batch, in practice
        touched = [e for e in latest.values() if e.received_at == at]
        for start in range(0, len(touched), 400):
            part = touched[start : start + 400]
            arms = " ".join("WHEN {} THEN CAST({} AS INTEGER)" for _ in part)
            await CaseState.raw(
                f"UPDATE case_state SET updated_at = {{}}, last_seq = CASE case_id {arms} END "
                f"WHERE case_id IN ({', '.join('{}' for _ in part)})",
                at,
                *[value for e in part for value in (e.case_id, e.seq)],
                *[e.case_id for e in part],
            )


async def register(ledger: Ledger) -> None:
    await catch_up(ledger, "cases", apply_case_entry)
    follow(ledger, "cases", apply_case_entry, concerns_case, apply_case_entries)


async def rebuild_all(ledger: Ledger) -> int:
    count = await rebuild(ledger, "cases", apply_case_entry, CaseState)
    await rebuild_numbers(ledger)
    return count


async def rebuild_numbers(ledger: Ledger) -> None:
    """Serials printed on documents come back from the entries (reserved, unused ones stay)."""
    agencies = {
        r["case_id"]: r["agency_id"]
        for r in await CaseState.select(CaseState.case_id, CaseState.agency_id)
    }
    for entry in await ledger.of_kind("document.generated"):
        if entry.case_id in agencies:
            await restore_number(entry, agencies[entry.case_id])
