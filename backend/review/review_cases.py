"""The supervisor's case list: every case of the agency with its problems, overdue items and holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.cases.lifecycle import case_view
from backend.identity.members import case_member_ids
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.review.agency_scope import agency_case_ids
from backend.review.retention import active_holds

APPROVABLE = (
    "record.handler_proposal",
    "record.legal_review",
    "record.collective_discussion",
    "record.emergency_start",
    "record.case_opening_approval",
    "retention.batch",
    "export.requested",
    "party.copy_requested",
)
# Requests whose approver must see what is asked (records, recipient, purpose).
ASKING = ("export.requested", "party.copy_requested")
DECIDING = {"approve", "refuse", "return", "legal_review", "approve_disposal", "approve_export"}


async def review_cases(
    ledger: Ledger,
    agency_id: str,
    now: datetime,
    *,
    members: dict[str, set[str]] | None = None,
    stage: str | None = None,
    enforcement_kind: str | None = None,
    officer: str | None = None,
    unit_officers: set[str] | None = None,
    overdue: bool = False,
    problems: bool = False,
) -> list[dict[str, Any]]:
    """Case summaries with badges: problems (missing/late), overdue (late), open holds."""
    out = []
    case_ids = (await agency_case_ids(agency_id))[1:]
    teams = await case_member_ids(case_ids)  # who is on each case now, removals applied
    for case_id in case_ids:
        view = await case_view(ledger, case_id, now)
        entries = await ledger.whole_timeline(case_id)
        staff = teams[case_id]
        if stage and view["stage"] != stage:
            continue
        if enforcement_kind and view["enforcement_kind"] != enforcement_kind:
            continue
        if officer and officer not in staff:
            continue
        if unit_officers is not None and not staff & unit_officers:
            continue
        late = [r for r in view["compliance"] if r["status"] == "late"]
        # A refused approval is a problem of the case as much as a missing record.
        missing = [r for r in view["compliance"] if r["status"] in ("missing", "refused")]
        if overdue and not late:
            continue
        if problems and not (late or missing):
            continue
        view["officers"] = sorted(s for s in staff if s)
        view["badges"] = {
            "missing": len(missing),
            "late": len(late),
            "holds": len(active_holds(entries)),
            "entries": len(entries),
        }
        out.append(view)
    return sorted(out, key=lambda v: v["updated_at"], reverse=True)


async def pending_approvals(ledger: Ledger, agency_id: str) -> list[dict[str, Any]]:
    """Entries waiting for a passkey signature: proposals, reviews, minutes, emergency starts, batches."""
    from backend.review.agency_scope import entries_of_kinds

    case_ids = await agency_case_ids(agency_id)
    signatures = await entries_of_kinds(case_ids, ["signature.passkey"])
    # Decided: approved, refused (final for that record) or returned (back with the officer; its
    # correction is a new entry and waits again). A colleague's co-signature decides nothing,
    # except on discussion minutes, which the participants sign.
    decided = {s.payload.get("signs") for s in signatures if s.payload.get("meaning") in DECIDING}
    co_signed = {s.payload.get("signs") for s in signatures}
    approved_kinds = await entries_of_kinds(
        case_ids, ["record.head_approval", "record.case_opening_approval"]
    )
    approved = {e.payload.get("approves") for e in approved_kinds}
    waiting = []
    for entry in await entries_of_kinds(case_ids, APPROVABLE):
        if entry.hash in decided or entry.hash in approved:
            continue
        if entry.kind == "record.collective_discussion" and entry.hash in co_signed:
            continue
        item = {
            "entry_hash": entry.hash,
            "case_id": entry.case_id,
            "kind": entry.kind,
            "actor": entry.body.get("actor"),
            "received_at": entry.body["received_at"],
            "challenge": entry.hash,
        }
        if entry.kind in ASKING:
            item["asks"] = await what_is_asked(ledger, entry)
        waiting.append(item)
    return waiting


async def what_is_asked(ledger: Ledger, request: Entry) -> dict[str, Any]:
    """A copy or export request as the approver must see it: what, for whom, why."""
    if request.kind == "party.copy_requested":
        from backend.service.record_copies import pending_asks

        return await pending_asks(ledger, request)
    p = request.payload
    asks: dict[str, Any] = {
        "scope": p["scope"],
        "purpose": p.get("purpose"),
        "recipient": p.get("recipient"),
    }
    if p.get("items"):
        by_hash = {e.hash: e for e in await ledger.whole_timeline(request.case_id)}
        asks["items"] = [
            {
                "entry_hash": h,
                "kind": by_hash[h].kind,
                "received_at": by_hash[h].body["received_at"],
            }
            for h in p["items"]
            if h in by_hash
        ]
    return asks
