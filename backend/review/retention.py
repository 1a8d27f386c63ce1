"""Retention and holds: how long each blob must be kept, what is held, and disposal after approval.

Record classes come from the agency's pack: `patrol_av` (agency-level recordings), `raw_av`
(case recordings not tied to a record), `evidence_av` (recordings tied to a record), `dossier`
(everything else a case holds). A case-linked blob is never kept shorter than its case's dossier.
Disposal is a batch entry an approver signs with a passkey; only then are blobs deleted, and a
`retention.disposed` tombstone on each case's own timeline says what went and under which batch,
so the case still verifies on its own and in its bundle.

Periods count from when the server received an entry (or the device's claim, if that is later):
a device claim alone could make yesterday's upload look years old. Only blobs a timeline holds
(`evidence.holdings`) count on it, and a blob goes only when every timeline holding it, in every
agency, is past its period and free of holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.cases.lifecycle import pack_for
from backend.cases.stages import case_facts, not_opened
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.evidence.holdings import blobs_held, check_blobs_held, holders_of
from backend.identity.access import case_agency
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger, entry_time
from backend.ledger.timelines import agency_timeline
from backend.ledger.verify import DISPOSAL_KIND
from backend.retention_periods import add_period
from backend.review.agency_scope import agency_case_ids, entries_of_kinds

AV_KINDS = {"media.audio", "media.video", "media.photo"}
# Entry kinds whose presence is a pack hold trigger (pingluo §26, hebei §15).
TRIGGER_KINDS = {
    "record.hearing": "party_dispute_or_complaint",
    "record.statement_defence": "party_dispute_or_complaint",
    "record.emergency_start": "emergency_or_mass_incident",
}
SIGNATURE_KIND = "signature.passkey"
SIGNED_FIELDS = ("entry_hash", "signs", "signed_entry", "approves")

Verifier = Callable[[Entry], Awaitable[bool]]


def counted_from(entry: Entry) -> datetime:
    """When an entry's retention starts: its receipt, or the device's claim if that is later.

    Never the claim alone: a device (or an attacker's script) may claim any time, and an early
    claim would make evidence received today due for disposal at once.
    """
    return max(entry.received_at, entry_time(entry))


def record_class(entry: Entry) -> str:
    if entry.case_id.startswith("agency:"):
        return "patrol_av"
    if entry.kind in AV_KINDS:
        p = entry.payload
        return "evidence_av" if p.get("for_entry") or p.get("step") else "raw_av"
    return "dossier"


@dataclass(frozen=True)
class BlobRetention:
    sha256: str
    case_id: str
    entry_hash: str
    record_class: str
    due_at: datetime | None  # None: kept while the case runs, or permanently
    held_by: tuple[str, ...] = ()

    def json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "case_id": self.case_id,
            "entry_hash": self.entry_hash,
            "record_class": self.record_class,
            "due_at": utc_iso(self.due_at) if self.due_at else None,
            "held_by": list(self.held_by),
        }


def detected_triggers(entries: list[Entry], pack_triggers: set[str]) -> set[str]:
    """Which of the pack's hold triggers this case's own entries show."""
    found: set[str] = set()
    facts = case_facts([e.body for e in entries])
    if facts.get("start_path") == "emergency":
        found.add("emergency_or_mass_incident")
    if facts.get("major"):
        found.add("major_or_sensitive")
    for entry in entries:
        if entry.kind in TRIGGER_KINDS:
            found.add(TRIGGER_KINDS[entry.kind])
        if entry.kind == "av.interrupted" and entry.payload.get("reason") == "obstruction":
            found.add("obstruction_or_assault")
        for item in entry.payload.get("interruptions") or []:
            if isinstance(item, dict) and item.get("reason") == "obstruction":
                found.add("obstruction_or_assault")
    return found & pack_triggers


def active_holds(entries: list[Entry]) -> list[Entry]:
    released = {e.payload["hold"] for e in entries if e.kind == "hold.released"}
    return [e for e in entries if e.kind == "hold.placed" and e.hash not in released]


def case_closed_at(entries: list[Entry]) -> datetime | None:
    """When the case ended: its archive record, or the last entry of a matter never opened."""
    for entry in entries:
        if entry.kind == "record.archive":
            return counted_from(entry)
    if entries and not_opened([e.body for e in entries]):
        return counted_from(entries[-1])
    return None


def case_retention(
    entries: list[Entry], periods: dict[str, str], pack_triggers: set[str], holds_blobs: set[str]
) -> list[BlobRetention]:
    """Every blob the timeline holds (`holds_blobs`), with its due date and the holds on it.

    A hash an entry names without the timeline holding the file (planted before appends were
    checked) is not this timeline's to keep or to dispose of.
    """
    if not entries:
        return []
    agency_level = entries[0].case_id.startswith("agency:")
    closed = None if agency_level else case_closed_at(entries)
    dossier_due = add_period(closed, periods["dossier"]) if closed else None
    holds = active_holds(entries)
    whole_case = [f"hold:{h.hash}" for h in holds if not h.payload.get("blobs")] + [
        f"trigger:{t}" for t in sorted(detected_triggers(entries, pack_triggers))
    ]
    disposed = {sha for e in entries if e.kind == DISPOSAL_KIND for sha in e.payload["blobs"]}
    found: dict[str, BlobRetention] = {}
    for entry in entries:
        for sha in entry.body.get("blobs") or []:
            if sha in disposed or sha not in holds_blobs:
                continue
            cls = record_class(entry)
            period = periods.get(cls, periods["dossier"])
            if agency_level:
                due = add_period(counted_from(entry), period)
            elif closed is None or period == "permanent":
                due = None
            elif period == "same_as_dossier":
                due = dossier_due
            else:
                own = add_period(counted_from(entry), period)
                due = max(own, dossier_due) if own and dossier_due else None
            held = [*whole_case] + [
                f"hold:{h.hash}" for h in holds if sha in (h.payload.get("blobs") or [])
            ]
            current = found.get(sha)
            if current is not None:
                # A blob several entries use is kept as long as the longest of them needs it.
                due = None if current.due_at is None or due is None else max(current.due_at, due)
                held = sorted({*current.held_by, *held})
            found[sha] = BlobRetention(sha, entry.case_id, entry.hash, cls, due, tuple(held))
    return list(found.values())


async def _pack_rules(agency_id: str) -> tuple[dict[str, str], set[str]]:
    pack = await pack_for(agency_id)
    periods = {r["class"]: r["period"] for r in pack.data["retention"]}
    periods.setdefault("dossier", "permanent")
    return periods, {t["trigger"] for t in pack.data.get("long_term_hold", [])}


async def timeline_retention(
    ledger: Ledger, case_id: str, agency_id: str | None = None
) -> list[BlobRetention]:
    """The retention of every blob one case or agency timeline holds, by its agency's pack."""
    agency_id = agency_id or await case_agency(case_id)
    if agency_id is None:
        return []
    periods, triggers = await _pack_rules(agency_id)
    entries = await ledger.whole_timeline(case_id)
    return case_retention(entries, periods, triggers, await blobs_held(case_id))


async def agency_retention(ledger: Ledger, agency_id: str) -> list[BlobRetention]:
    out: list[BlobRetention] = []
    for case_id in await agency_case_ids(agency_id):
        out += await timeline_retention(ledger, case_id, agency_id)
    return out


def _free(r: BlobRetention, now: datetime) -> bool:
    return r.due_at is not None and r.due_at <= now and not r.held_by


async def due_for_disposal(ledger: Ledger, agency_id: str, now: datetime) -> list[BlobRetention]:
    """Blob uses past retention and not held, for blobs whose every use is past and free.

    Blobs are content-addressed, so one photo may belong to several cases, of several agencies:
    it goes only when no timeline holding it still needs it, and then every case of this agency
    using it gets its own tombstone (another agency's timeline is never written to from here).
    """
    uses: dict[str, list[BlobRetention]] = {}
    for r in await agency_retention(ledger, agency_id):
        uses.setdefault(r.sha256, []).append(r)
    ours = set(await agency_case_ids(agency_id))
    elsewhere: dict[str, list[BlobRetention]] = {}  # other timelines' retention, read once each
    due = []
    for sha, rows in uses.items():
        if not all(_free(r, now) for r in rows):
            continue
        others = (await holders_of(sha)) - ours
        for case_id in others - set(elsewhere):
            elsewhere[case_id] = await timeline_retention(ledger, case_id)
        their = [r for case_id in others for r in elsewhere[case_id] if r.sha256 == sha]
        if others and not their:
            continue  # a holder whose retention cannot be read keeps the blob
        if all(_free(r, now) for r in their) and _all_listed(others, their):
            due += rows
    return due


def _all_listed(holders: set[str], rows: list[BlobRetention]) -> bool:
    return holders <= {r.case_id for r in rows}


async def place_hold(
    ledger: Ledger,
    case_id: str,
    *,
    actor: str,
    client_id: str,
    trigger: str,
    reason: str,
    blobs: list[str] | None = None,
) -> Entry:
    """A supervisor's (or a detected trigger's) long-term hold, as an entry on the case."""
    if not await ledger.timeline(case_id, limit=1):
        raise NotFound("no such case", code="case_not_found")
    payload: dict[str, Any] = {"trigger": trigger, "reason": reason}
    if blobs:
        await check_blobs_held(case_id, blobs)  # a hold keeps this case's files, no one else's
        payload["blobs"] = blobs
    return await ledger.append(
        Draft(
            case_id=case_id, kind="hold.placed", client_id=client_id, payload=payload, actor=actor
        )
    )


async def record_detected_holds(ledger: Ledger, agency_id: str) -> list[Entry]:
    """Write a `hold.placed` entry for every pack trigger a case shows and has no entry for yet."""
    pack = await pack_for(agency_id)
    triggers = {t["trigger"] for t in pack.data.get("long_term_hold", [])}
    placed = []
    for case_id in (await agency_case_ids(agency_id))[1:]:
        entries = await ledger.whole_timeline(case_id)
        recorded = {e.payload["trigger"] for e in active_holds(entries)}
        for trigger in sorted(detected_triggers(entries, triggers) - recorded):
            placed.append(
                await place_hold(
                    ledger,
                    case_id,
                    actor="system",
                    client_id=f"hold:{case_id}:{trigger}",
                    trigger=trigger,
                    reason=f"规则包长期保存情形：{trigger}",
                )
            )
    return placed


async def propose_disposal(
    ledger: Ledger, agency_id: str, now: datetime, *, actor: str, client_id: str, reason: str
) -> Entry:
    """List what is past retention and not held as a batch entry awaiting an approver's passkey."""
    due = await due_for_disposal(ledger, agency_id, now)
    if not due:
        raise Invalid("nothing is past its retention period", code="nothing_due")
    return await ledger.append(
        Draft(
            case_id=agency_timeline(agency_id),
            kind="retention.batch",
            client_id=client_id,
            payload={
                "blobs": [
                    {
                        "sha256": r.sha256,
                        "case_id": r.case_id,
                        "record_class": r.record_class,
                        "due_at": utc_iso(r.due_at),  # type: ignore[arg-type]
                        "entry_hash": r.entry_hash,
                    }
                    for r in due
                ],
                "reason": reason,
                "as_of": utc_iso(now),
            },
            actor=actor,
        )
    )


def signed_entry_of(signature: Entry) -> str | None:
    for name in SIGNED_FIELDS:
        value = signature.payload.get(name)
        if isinstance(value, str):
            return value
    return None


async def default_verifier(signature: Entry) -> bool:
    """Identity's check of a `signature.passkey` entry against the ledger's registered keys.

    Identity only lets approvers sign with the meaning `approve_disposal` (MEANING_ROLES).
    """
    from backend.identity.signatures import signature_entry_verifies

    if signature.payload.get("meaning") != "approve_disposal":
        return False
    return await signature_entry_verifies(signature)


async def dispose(
    ledger: Ledger,
    blobs: Any,
    agency_id: str,
    batch_hash: str,
    now: datetime,
    *,
    actor: str,
    verify: Verifier = default_verifier,
) -> dict[str, Any]:
    """Carry out a signed batch: tombstone first, then delete, never anything now held or not yet due."""
    timeline = agency_timeline(agency_id)
    entries = await entries_of_kinds([timeline], ["retention.batch", SIGNATURE_KIND])
    batch = next((e for e in entries if e.hash == batch_hash and e.kind == "retention.batch"), None)
    if batch is None:
        raise NotFound("no such disposal batch", code="batch_not_found")
    approval = None
    for signature in (e for e in entries if e.kind == SIGNATURE_KIND):
        if signed_entry_of(signature) == batch_hash and await verify(signature):
            approval = signature
            break
    if approval is None:
        raise Forbidden(
            "disposal needs an approver's passkey signature over the batch",
            code="disposal_not_approved",
        )
    if (
        approval.body.get("actor") == batch.body.get("actor")
        and batch.body.get("actor") != "system"
    ):
        raise Conflict("the proposer cannot approve their own batch", code="four_eyes")
    # Holds placed since the batch was listed win over the approval.
    still_due = {(r.sha256, r.case_id) for r in await due_for_disposal(ledger, agency_id, now)}
    by_case: dict[str, list[str]] = {}
    skipped = []
    for item in batch.payload["blobs"]:
        if (item["sha256"], item["case_id"]) in still_due:
            by_case.setdefault(item["case_id"], []).append(item["sha256"])
        else:
            skipped.append(item["sha256"])
    # A blob goes only if every case using it is in this batch and still due.
    users: dict[str, set[str]] = {}
    for sha, case_id in still_due:
        users.setdefault(sha, set()).add(case_id)
    for case_id, shas in list(by_case.items()):
        keep = [s for s in shas if not users[s] <= {c for c, v in by_case.items() if s in v}]
        skipped += keep
        by_case[case_id] = [s for s in shas if s not in keep]
    by_case = {c: v for c, v in by_case.items() if v}
    tombstones = []
    for case_id, shas in sorted(by_case.items()):
        tombstone = await ledger.append(
            Draft(
                case_id=case_id,
                kind=DISPOSAL_KIND,
                client_id=f"disposed:{batch_hash}:{case_id}",
                payload={
                    "blobs": sorted(shas),
                    "batch": batch_hash,
                    "approval": approval.hash,
                    "reason": batch.payload["reason"],
                },
                actor=actor,
            )
        )
        tombstones.append(tombstone.hash)
    for sha in sorted({s for shas in by_case.values() for s in shas}):
        await blobs.delete(sha)
    return {
        "batch": batch_hash,
        "approval": approval.hash,
        "disposed": sorted({s for shas in by_case.values() for s in shas}),
        "skipped": sorted(set(skipped)),
        "tombstones": tombstones,
    }


async def release_hold(
    ledger: Ledger, case_id: str, hold: str, *, actor: str, client_id: str, reason: str
) -> Entry:
    entries = await ledger.whole_timeline(case_id)
    if not any(e.hash == hold and e.kind == "hold.placed" for e in entries):
        raise NotFound("no such hold on this case", code="hold_not_found")
    return await ledger.append(
        Draft(
            case_id=case_id,
            kind="hold.released",
            client_id=client_id,
            payload={"hold": hold, "reason": reason},
            actor=actor,
        )
    )


async def agency_holds(agency_id: str) -> list[dict[str, Any]]:
    """Holds in force on the agency's cases: who placed them, why, on what."""
    case_ids = await agency_case_ids(agency_id)
    entries = await entries_of_kinds(case_ids, ["hold.placed", "hold.released"])
    released = {e.payload["hold"] for e in entries if e.kind == "hold.released"}
    return [
        {
            "hold": e.hash,
            "case_id": e.case_id,
            "trigger": e.payload.get("trigger"),
            "reason": e.payload.get("reason"),
            "blobs": e.payload.get("blobs") or [],
            "placed_by": e.body.get("actor"),
            "placed_at": e.body["received_at"],
        }
        for e in entries
        if e.kind == "hold.placed" and e.hash not in released
    ]


async def disposal_batches(agency_id: str) -> list[dict[str, Any]]:
    """Every disposal batch with where it stands: waiting for a passkey, approved, or carried out."""
    case_ids = await agency_case_ids(agency_id)
    timeline = agency_timeline(agency_id)
    entries = await entries_of_kinds([timeline], ["retention.batch", SIGNATURE_KIND])
    signed = {
        signed_entry_of(e): e
        for e in entries
        if e.kind == SIGNATURE_KIND and e.payload.get("meaning") == "approve_disposal"
    }
    done = {e.payload.get("batch") for e in await entries_of_kinds(case_ids, [DISPOSAL_KIND])}
    out = []
    for batch in (e for e in entries if e.kind == "retention.batch"):
        approval = signed.get(batch.hash)
        out.append(
            {
                "batch": batch.hash,
                "proposed_by": batch.body.get("actor"),
                "proposed_at": batch.body["received_at"],
                "reason": batch.payload.get("reason"),
                "blobs": batch.payload.get("blobs") or [],
                "approved_by": approval.body.get("actor") if approval else None,
                "status": "disposed"
                if batch.hash in done
                else ("approved" if approval else "waiting"),
            }
        )
    return out[::-1]
