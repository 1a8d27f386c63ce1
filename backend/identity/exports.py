"""Copy and export approval (hebei §16): request → approver signs with a passkey → time-limited permission."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from backend.errors import Forbidden, Invalid
from backend.identity.access import Principal
from backend.ledger.entry import Draft, Entry, parse_iso, utc_iso
from backend.ledger.ledger import Ledger
from backend.ledger.tables import LedgerEntry

PERMISSION_VALID = timedelta(hours=24)


async def request_export(
    ledger: Ledger,
    principal: Principal,
    case_id: str,
    scope: str,
    purpose: str,
    client_id: str,
    recipient: str | None = None,
) -> Entry:
    if scope not in ("copy", "export"):
        raise Invalid("scope is copy or export", "bad_scope")
    payload = {"staff_id": principal.staff_id, "scope": scope, "purpose": purpose}
    if recipient:
        payload["recipient"] = recipient
    return await ledger.append(
        Draft(case_id, "export.requested", client_id, payload, actor=principal.staff_id)
    )


async def grant_after_signature(
    ledger: Ledger, request: Entry, signature: Entry, approver: Principal
) -> Entry:
    """The approver's verified signature over a request becomes a time-limited permission."""
    if approver.staff_id == request.payload["staff_id"]:
        raise Forbidden("nobody approves their own copy or export", "self_approval")
    until = signature.received_at + PERMISSION_VALID
    return await ledger.append(
        Draft(
            request.case_id,
            "export.approved",
            f"export-approved:{request.hash[:60]}",
            {
                "request": request.hash,
                "signature": signature.hash,
                "approver": approver.staff_id,
                "staff_id": request.payload["staff_id"],
                "scope": request.payload["scope"],
                "valid_until": utc_iso(until),
            },
            actor=approver.staff_id,
        )
    )


async def export_permission(
    case_id: str, staff_id: str, scope: str, now: datetime | None = None
) -> Entry | None:
    """The live `export.approved` entry letting `staff_id` copy/export this case now, if any."""
    now = now or datetime.now(UTC)
    rows = await LedgerEntry.raw(
        "SELECT log_index, hash, body FROM ledger_entry WHERE case_id = {} AND kind = {} "
        "ORDER BY log_index DESC",
        case_id,
        "export.approved",
    )
    for row in rows:
        entry = Entry(row["log_index"], row["hash"], json.loads(row["body"]))
        p = entry.payload
        if p["staff_id"] == staff_id and p["scope"] == scope and parse_iso(p["valid_until"]) > now:
            return entry
    return None


async def require_permission(case_id: str, staff_id: str, scope: str) -> Entry:
    permission = await export_permission(case_id, staff_id, scope)
    if permission is None:
        raise Forbidden(
            f"a {scope} of this case needs the unit head's approval first", "approval_required"
        )
    return permission
