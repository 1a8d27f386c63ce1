"""Copy and export approval (hebei §16): request → approver signs with a passkey → time-limited permission.

A copy request names what may be copied (entries of the case) and for whom (the recipient); the
approval carries both, and each copy is checked against them: an approval is for those records,
handed to that recipient, by the person who asked, and nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.errors import Forbidden, Invalid
from backend.identity.access import Principal
from backend.ledger import reads
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger
from backend.moments import parse_iso

PERMISSION_VALID = timedelta(hours=24)


MAX_COPY_ITEMS = 200


def _recipient(text: str | None) -> str:
    return " ".join((text or "").split())


async def _copy_items(ledger: Ledger, case_id: str, items: list[str] | None) -> list[str]:
    """The entries asked for, each on this case (a foreign or unknown hash gets the same answer)."""
    wanted = list(dict.fromkeys(items or []))
    if not wanted:
        raise Invalid(
            "申请复制须写明复制哪些记录 / name the records to copy", "copy_items_required"
        )
    if len(wanted) > MAX_COPY_ITEMS:
        raise Invalid(f"at most {MAX_COPY_ITEMS} records per copy request", "too_many_copy_items")
    on_case = {e.hash for e in await ledger.whole_timeline(case_id)}
    if any(item not in on_case for item in wanted):
        raise Invalid(
            "要复制的记录不属于本案 / a record asked for is not on this case",
            "copy_item_not_in_case",
        )
    return wanted


async def request_export(
    ledger: Ledger,
    principal: Principal,
    case_id: str,
    scope: str,
    purpose: str,
    client_id: str,
    recipient: str | None = None,
    items: list[str] | None = None,
) -> Entry:
    """An `export.requested` entry; a copy request names its records (`items`) and recipient."""
    if scope not in ("copy", "export"):
        raise Invalid("scope is copy or export", "bad_scope")
    payload: dict[str, object] = {
        "staff_id": principal.staff_id,
        "scope": scope,
        "purpose": purpose,
    }
    recipient = _recipient(recipient)
    if scope == "copy":
        if not recipient:
            raise Invalid(
                "申请复制须写明复制件交给谁 / say who the copy is for", "copy_recipient_required"
            )
        payload["items"] = await _copy_items(ledger, case_id, items)
    elif items:
        raise Invalid(
            "导出的是整个案卷，不能只选部分记录 / an export is the whole dossier",
            "export_takes_no_items",
        )
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
    payload = {
        "request": request.hash,
        "signature": signature.hash,
        "approver": approver.staff_id,
        "staff_id": request.payload["staff_id"],
        "scope": request.payload["scope"],
        "valid_until": utc_iso(until),
    }
    # The approval itself says what it allows, so a copy is checked against it alone.
    for name in ("items", "recipient"):
        if request.payload.get(name):
            payload[name] = request.payload[name]
    return await ledger.append(
        Draft(
            request.case_id,
            "export.approved",
            f"export-approved:{request.hash[:60]}",
            payload,
            actor=approver.staff_id,
        )
    )


async def live_approvals(case_id: str, scope: str, now: datetime | None = None) -> list[Entry]:
    """The case's `export.approved` entries of `scope` still valid now, newest first."""
    now = now or datetime.now(UTC)
    entries = await reads.of_kinds([case_id], ["export.approved"])
    return [
        e
        for e in reversed(entries)
        if e.payload["scope"] == scope and parse_iso(e.payload["valid_until"]) > now
    ]


async def export_permission(
    case_id: str, staff_id: str, scope: str, now: datetime | None = None
) -> Entry | None:
    """The live `export.approved` entry letting `staff_id` copy/export this case now, if any."""
    mine = [
        e for e in await live_approvals(case_id, scope, now) if e.payload["staff_id"] == staff_id
    ]
    return mine[0] if mine else None


async def copy_permission(
    case_id: str, staff_id: str, items: list[str], recipient: str, now: datetime | None = None
) -> Entry:
    """The live approval covering a copy of `items` for `recipient` by `staff_id`, else 403.

    Codes: `approval_required` (nobody may copy this case now), `copy_approved_for_someone_else`
    (an approval exists, for a colleague), `copy_not_approved` (records the approvals do not name),
    `copy_recipient_not_approved` (the records are approved, for another recipient).
    """
    if not items:
        raise Invalid("复制须写明复制哪些记录 / name the records to copy", "copy_items_required")
    live = await live_approvals(case_id, "copy", now)
    mine = [e for e in live if e.payload["staff_id"] == staff_id]
    if not mine:
        if live:
            raise Forbidden(
                "该复制批准是给其他人员的，本人复制须另行申请"
                " / this copy approval is for someone else: ask for your own",
                "copy_approved_for_someone_else",
            )
        raise Forbidden(
            "a copy of this case needs the unit head's approval first", "approval_required"
        )
    covering = [e for e in mine if set(items) <= set(e.payload.get("items") or [])]
    if not covering:
        raise Forbidden(
            "批准复制的范围不包括所选记录，须另行申请 / the approval does not cover these records",
            "copy_not_approved",
        )
    wanted = _recipient(recipient)
    for entry in covering:
        if _recipient(entry.payload.get("recipient")) == wanted:
            return entry
    raise Forbidden(
        "批准的复制件接收人不是此人，须另行申请 / the approval is for another recipient",
        "copy_recipient_not_approved",
    )
