"""The deadlines the reminders watch, kept current from the ledger and rebuildable from it.

One row per AV segment not yet uploaded (`av:<segment hash>`, cleared by the media entry with its
hash) and one per ended case (`archive:<case id>`, cleared by `record.archive`); a closed case's rows
are all cleared. The reminder job reads only rows falling due soon, so its work follows the
deadlines near, not the number of open cases. The deadline arithmetic is the rule pack's, here
and in the job alike: `upload_due` (evidence's `upload_deadline`) and `archive_due`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from backend.cases.lifecycle import pack_for
from backend.cases.projection import CLOSING_KINDS, concerns_case
from backend.cases.rules import RulePack, load_packs
from backend.cases.tables import CaseState
from backend.evidence.deadlines import upload_deadline
from backend.evidence.tables import EvidenceMedia
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger, entry_time
from backend.ledger.projections import catch_up, follow, rebuild
from backend.moments import aware, parse_iso
from backend.notify.tables import PendingDeadline

NAME = "notify.deadlines"
SEGMENT = "av.segment"
# A segment's file is sniffed as audio or video when it is uploaded: only these entries can hold it.
# Photos, most of what is appended, are not looked at.
RECORDINGS = frozenset({"media.audio", "media.video"})


def upload_due(pack: RulePack, ended_at: datetime) -> datetime:
    """When a segment that ended at `ended_at` must be uploaded by, under the agency's pack."""
    # The upload time only decides how late an upload was, not when it was due.
    return upload_deadline(pack.deadlines, ended_at, ended_at).deadline


def archive_due(pack: RulePack, ended_at: datetime) -> datetime:
    """When a case whose last ending entry was at `ended_at` must be archived by."""
    return ended_at + timedelta(days=pack.deadlines["archive"]["days"])


@cache
def end_kinds() -> frozenset[str]:
    """Every kind that ends a workflow in some pack (read once per process, when first needed)."""
    return frozenset(
        kind
        for pack in load_packs().values()
        for flow in pack.data["workflows"]
        for kind in flow["ends_with"]
    )


def concerns_deadlines(entry: Entry) -> bool:
    kind = entry.kind
    return concerns_case(entry) and (
        kind == SEGMENT or kind in RECORDINGS or kind in CLOSING_KINDS or kind in end_kinds()
    )


async def apply_deadline_entry(entry: Entry) -> None:
    if not concerns_deadlines(entry):
        return
    if entry.kind == SEGMENT:
        await _recorded(entry)
    elif entry.kind in RECORDINGS:
        await _uploaded(entry.case_id, entry.payload.get("sha256"))
    elif entry.kind in CLOSING_KINDS:
        await PendingDeadline.raw(
            "UPDATE notify_deadline SET done = {} WHERE case_id = {}", True, entry.case_id
        )
    else:
        await _ended(entry)


async def _case(case_id: str) -> dict[str, Any] | None:
    # The cases projection runs before this one (notify uses cases), so the case is there; only
    # what never changes after opening is read from it, and the status, which only ever closes.
    return (
        await CaseState.select(
            CaseState.agency_id, CaseState.enforcement_kind, CaseState.procedure, CaseState.status
        )
        .where(CaseState.case_id == case_id)
        .first()
    )


async def _pack(agency_id: str) -> RulePack | None:
    try:
        return await pack_for(agency_id)
    except Exception:  # an agency without a pack has no deadlines to remind of
        return None


async def _recorded(entry: Entry) -> None:
    payload = entry.payload
    if payload.get("media_entry"):
        return  # the segment names the media entry holding it: nothing waits
    case = await _case(entry.case_id)
    if case is None:
        return
    try:
        ended = parse_iso(payload["ended_at"])
    except ValueError:
        return  # the schema does not check the format; a time unreadable here has no deadline
    sha = payload.get("sha256")
    # The media entry may come first (the phone sends both from one queue): evidence, projected
    # before this, already holds it.
    uploaded = bool(sha) and await EvidenceMedia.exists().where(
        (EvidenceMedia.case_id == entry.case_id)
        & (EvidenceMedia.sha256 == sha)
        & EvidenceMedia.kind.is_in(list(RECORDINGS))
    )
    pack = await _pack(case["agency_id"])
    await PendingDeadline.raw(
        'INSERT INTO notify_deadline ("key", kind, case_id, agency_id, sha256, starts_at, due_at, '
        "done, last_reminder) VALUES ({}, 'av', {}, {}, {}, {}, {}, {}, {}) "
        'ON CONFLICT ("key") DO NOTHING',
        f"av:{entry.hash}",
        entry.case_id,
        case["agency_id"],
        sha,
        ended,
        # Without a pack the job looks at it at once and skips it, as it skips such cases.
        upload_due(pack, ended) if pack else ended,
        uploaded or case["status"] != "open",
        f"av:overdue:{entry.hash}",
    )


async def _uploaded(case_id: str, sha: str | None) -> None:
    if sha:
        await PendingDeadline.raw(
            "UPDATE notify_deadline SET done = {} WHERE case_id = {} AND kind = 'av' "
            "AND sha256 = {}",
            True,
            case_id,
            sha,
        )


async def _ended(entry: Entry) -> None:
    """An entry that may end its case's workflow starts (or moves) the archive deadline."""
    case = await _case(entry.case_id)
    pack = case and await _pack(case["agency_id"])
    if case is None or pack is None:
        return
    flow = pack.workflow(case["enforcement_kind"], case["procedure"])
    if not flow or entry.kind not in flow["ends_with"]:
        return
    key = f"archive:{entry.case_id}"
    at = entry_time(entry)
    row = (
        await PendingDeadline.select(PendingDeadline.starts_at)
        .where(PendingDeadline.key == key)
        .first()
    )
    if row and row["starts_at"] and aware(row["starts_at"]) >= at:
        return  # counted from the latest ending entry
    await PendingDeadline.raw(
        'INSERT INTO notify_deadline ("key", kind, case_id, agency_id, sha256, starts_at, due_at, '
        "done, last_reminder) VALUES ({}, 'archive', {}, {}, NULL, {}, {}, {}, {}) "
        'ON CONFLICT ("key") DO UPDATE SET starts_at = excluded.starts_at, '
        "due_at = excluded.due_at",
        key,
        entry.case_id,
        case["agency_id"],
        at,
        archive_due(pack, at),
        case["status"] != "open",
        key,
    )


async def falling_due(kind: str, before: datetime) -> list[dict[str, Any]]:
    """Open deadlines of `kind` due by `before` whose last reminder has not gone out (one
    indexed range read; an overdue upload already reminded of is passed over in the database)."""
    return await PendingDeadline.raw(
        'SELECT d.id, d."key", d.case_id, d.agency_id, d.starts_at FROM notify_deadline d '
        "WHERE d.done = {} AND d.kind = {} AND d.due_at <= {} AND NOT EXISTS "
        '(SELECT 1 FROM notify_reminder_sent r WHERE r."key" = d.last_reminder) ORDER BY d.id',
        False,
        kind,
        before,
    )


def deadline_rules() -> dict[str, Any]:
    """Every pack's deadlines as the files say now (read again only when a file changed)."""
    return {pack_id: pack.deadlines for pack_id, pack in load_packs().items()}


async def redate_open_deadlines() -> int:
    """Work out the open deadlines again with the packs and holiday calendar as they are now.

    A pack edited since a row was projected could make it due sooner than its stored `due_at`
    says; the job recomputes every row it reads, but reads only rows whose stored date is near.
    The job calls this on its first run in a process and when `deadline_rules()` changes (open
    rows are few: uploads waiting and ended cases not yet archived); returns how many moved."""
    rows = await PendingDeadline.raw(
        'SELECT "key", kind, agency_id, starts_at, due_at FROM notify_deadline '
        "WHERE done = {} AND starts_at IS NOT NULL",
        False,
    )
    moved = 0
    for row in rows:
        pack = await _pack(row["agency_id"])
        if pack is None:
            continue
        starts = aware(row["starts_at"])
        due = upload_due(pack, starts) if row["kind"] == "av" else archive_due(pack, starts)
        if row["due_at"] is None or aware(row["due_at"]) != due:
            await PendingDeadline.update({PendingDeadline.due_at: due}).where(
                PendingDeadline.key == row["key"]
            )
            moved += 1
    return moved


async def register(ledger: Ledger) -> None:
    await catch_up(ledger, NAME, apply_deadline_entry)
    follow(ledger, NAME, apply_deadline_entry, concerns_deadlines)


async def rebuild_all(ledger: Ledger) -> int:
    return await rebuild(ledger, NAME, apply_deadline_entry, PendingDeadline)
