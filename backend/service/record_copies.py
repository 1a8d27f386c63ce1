"""The party's right to view and copy the records of their case (hebei §17, mingshan §34, zhengxiang §32).

Through their service link the party names records and asks to view or copy them
(`party.copy_requested`). The unit head answers in the approvals queue with a passkey signature,
approve or refuse with a reason; the answer becomes `party.copy_decided`, which names the records
granted — never a confidential one, "依法应保密的除外" — and until when. Each download through
the link is a `party.copy_downloaded` entry on the case.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from backend.cases.documents import (
    Document,
    field_schemas,
    render_pdf,
    shown,
    verify_url,
)
from backend.cases.lifecycle import pack_for
from backend.cases.rules import KINDS_DIR
from backend.cases.stages import case_facts
from backend.errors import Forbidden, Invalid, NotFound
from backend.identity.access import Principal
from backend.identity.confidentiality import level_of
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger
from backend.moments import parse_iso
from backend.settings import Settings

REQUESTED, DECIDED, DOWNLOADED = (
    "party.copy_requested",
    "party.copy_decided",
    "party.copy_downloaded",
)
COPY_VALID = timedelta(days=7)
MAX_ITEMS = 50
# What a party may ask for: the case's records, its media and the papers made from them.
COPYABLE_PREFIXES = ("record.", "media.")
COPYABLE_KINDS = {"document.generated"}
ANSWERS = {"approve": "approved", "refuse": "refused"}


def copyable(entry: Entry) -> bool:
    return entry.kind in COPYABLE_KINDS or entry.kind.startswith(COPYABLE_PREFIXES)


@cache
def kind_title(kind: str) -> str:
    """A kind's Chinese name, from its schema (what the PWA shows)."""
    versions = sorted(KINDS_DIR.glob(f"{kind}.v*.json"))
    if not versions:
        return kind
    return str(json.loads(versions[-1].read_text(encoding="utf-8")).get("title", kind))


def _describe(entry: Entry) -> dict[str, Any]:
    title = entry.payload.get("title") if entry.kind == "document.generated" else None
    return {
        "entry_hash": entry.hash,
        "kind": entry.kind,
        "title": title or kind_title(entry.kind),
        "number": entry.payload.get("number") if entry.kind == "document.generated" else None,
        "at": entry.body["received_at"],
        "confidential": level_of(entry.body) is not None,
    }


async def case_records(ledger: Ledger, case_id: str) -> list[dict[str, Any]]:
    """The records a party may name, in words; confidential ones are listed but not offered."""
    return [_describe(e) for e in await ledger.whole_timeline(case_id) if copyable(e)]


async def request_copies(
    ledger: Ledger,
    link: dict[str, Any],
    *,
    purpose: str,
    items: list[str],
    note: str,
    ip: str,
    user_agent: str,
) -> Entry:
    """Append the party's request; every record named must be this case's and not confidential."""
    if purpose not in ("view", "copy"):
        raise Invalid("purpose is view or copy", code="bad_purpose")
    wanted = list(dict.fromkeys(items))
    if not wanted:
        raise Invalid("请选择要查阅或复制的记录 / choose the records", code="copy_items_required")
    if len(wanted) > MAX_ITEMS:
        raise Invalid(f"at most {MAX_ITEMS} records per request", code="too_many_copy_items")
    on_case = {e.hash: e for e in await ledger.whole_timeline(link["case_id"]) if copyable(e)}
    if any(h not in on_case for h in wanted):
        raise Invalid(
            "所选记录不属于本案 / a record asked for is not on this case",
            code="copy_item_not_in_case",
        )
    secret = [h for h in wanted if level_of(on_case[h].body) is not None]
    if secret:
        raise Forbidden(
            "所选记录依法应予保密，不能查阅或复制 / a record asked for is confidential by law",
            code="record_confidential",
            detail={"items": secret},
        )
    payload: dict[str, Any] = {
        "link_entry": link["link_entry"],
        "purpose": purpose,
        "items": wanted,
        "ip": ip[:100],
        "user_agent": user_agent[:1000],
    }
    if note.strip():
        payload["note"] = note.strip()[:2000]
    return await ledger.append(
        Draft(
            link["case_id"],
            REQUESTED,
            f"copy-request:{uuid.uuid4()}",
            payload,
            actor=f"party:{link['token_sha256'][:12]}",
        )
    )


def check_answer(request: Entry, meaning: str) -> None:
    """A party's request is approved or refused; there is nothing to send back for correction."""
    if request.kind == REQUESTED and meaning not in ANSWERS:
        raise Invalid(
            "当事人的申请只能同意或不同意 / a party's request is approved or refused",
            code="party_request_needs_answer",
        )


async def answer_after_signature(
    ledger: Ledger, request: Entry, signature: Entry, approver: Principal
) -> Entry:
    """The head's verified signature becomes the decision the party sees and downloads against."""
    timeline = {e.hash: e for e in await ledger.whole_timeline(request.case_id)}
    decision = ANSWERS[signature.payload["meaning"]]
    payload: dict[str, Any] = {
        "request": request.hash,
        "signature": signature.hash,
        "decision": decision,
        "approver": approver.staff_id,
    }
    if signature.payload.get("comment"):
        payload["reason"] = signature.payload["comment"]
    if decision == "approved":
        asked = request.payload["items"]
        # Flagged since the party asked: still withheld (依法应保密的除外).
        withheld = [h for h in asked if h not in timeline or level_of(timeline[h].body)]
        payload["items"] = [h for h in asked if h not in withheld]
        payload["withheld"] = withheld
        payload["valid_until"] = utc_iso(signature.received_at + COPY_VALID)
    return await ledger.append(
        Draft(
            request.case_id,
            DECIDED,
            f"copy-decided:{request.hash[:60]}",
            payload,
            actor=approver.staff_id,
        )
    )


def _mine(entries: list[Entry], link: dict[str, Any]) -> list[Entry]:
    return [
        e for e in entries if e.kind == REQUESTED and e.payload["link_entry"] == link["link_entry"]
    ]


async def party_requests(ledger: Ledger, link: dict[str, Any]) -> list[dict[str, Any]]:
    """The party's requests with their answers, as the page shows them."""
    timeline = await ledger.whole_timeline(link["case_id"])
    by_hash = {e.hash: e for e in timeline}
    decided = {e.payload["request"]: e for e in timeline if e.kind == DECIDED}
    out = []
    for request in _mine(timeline, link):
        answer = decided.get(request.hash)
        granted = set(answer.payload.get("items", [])) if answer else set()
        out.append(
            {
                "request": request.hash,
                "purpose": request.payload["purpose"],
                "at": request.body["received_at"],
                "state": answer.payload["decision"] if answer else "waiting",
                "reason": answer.payload.get("reason") if answer else None,
                "valid_until": answer.payload.get("valid_until") if answer else None,
                "items": [
                    {**_describe(by_hash[h]), "granted": h in granted}
                    for h in request.payload["items"]
                    if h in by_hash
                ],
            }
        )
    return out


async def pending_asks(ledger: Ledger, request: Entry) -> dict[str, Any]:
    """What the party asks for, as the approver must read it."""
    by_hash = {e.hash: e for e in await ledger.whole_timeline(request.case_id)}
    return {
        "scope": "party_" + request.payload["purpose"],
        "purpose": request.payload.get("note"),
        "recipient": "当事人 / the party",
        "items": [
            {
                "entry_hash": h,
                "kind": by_hash[h].kind,
                "received_at": by_hash[h].body["received_at"],
            }
            for h in request.payload["items"]
            if h in by_hash
        ],
    }


@dataclass(frozen=True)
class Copy:
    """One file handed to the party: either a stored blob or PDF bytes made now."""

    filename: str
    media_type: str
    sha256: str | None = None
    data: bytes | None = None


async def _copy_of(ledger: Ledger, blobs: Any, entry: Entry, agency: dict[str, Any]) -> Copy:
    if entry.kind == "document.generated" or entry.kind.startswith("media."):
        sha = entry.body["blobs"][0]
        media_type = entry.payload.get("media_type") or "application/octet-stream"
        extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
            media_type, "bin"
        )
        return Copy(f"record-{entry.hash[:8]}.{extension}", media_type, sha256=sha)
    facts = case_facts([e.body for e in await ledger.whole_timeline(entry.case_id)])
    schemas = field_schemas(entry.kind)
    lines = tuple(
        ((schemas.get(name) or {}).get("title", name), shown(value, schemas.get(name)))
        for name, value in entry.payload.items()
        if value not in (None, "", []) and name != "confidentiality"
    )
    doc = Document(
        document_kind="record_copy",
        title=f"{kind_title(entry.kind)}（复制件）",
        agency_name=agency["name_zh"],
        number="",
        dated=parse_iso(entry.body["received_at"]).date(),
        renders=entry.hash,
        parties=tuple(p.get("name", "") for p in facts.get("parties", []) if p.get("name")),
        lines=lines,
        closing="本复制件依据执法记录制作，与记录内容一致。",
        verify_url=verify_url(Settings.from_env().public_url, entry.hash),
    )
    pdf = await asyncio.to_thread(render_pdf, doc)
    return Copy(
        f"record-{entry.hash[:8]}.pdf", "application/pdf", hashlib.sha256(pdf).hexdigest(), pdf
    )


async def download_copy(
    ledger: Ledger,
    blobs: Any,
    link: dict[str, Any],
    request_hash: str,
    item: str,
    *,
    ip: str,
    user_agent: str,
    now: datetime | None = None,
) -> Copy:
    """One approved record, while the approval lasts; the download is recorded on the case."""
    now = now or datetime.now(UTC)
    timeline = await ledger.whole_timeline(link["case_id"])
    request = next((e for e in _mine(timeline, link) if e.hash == request_hash), None)
    if request is None:
        raise NotFound("没有这项申请 / no such request", code="copy_request_not_found")
    answer = next(
        (e for e in timeline if e.kind == DECIDED and e.payload["request"] == request.hash), None
    )
    if answer is None or answer.payload["decision"] != "approved":
        raise Forbidden(
            "这项申请尚未获批准 / this request has not been approved", code="copy_not_approved"
        )
    if item not in answer.payload.get("items", []):
        raise Forbidden(
            "这份记录不在批准范围内 / this record was not approved", code="copy_not_approved"
        )
    if now > parse_iso(answer.payload["valid_until"]):
        raise Forbidden(
            "下载期限已过，请重新申请 / the time to download has passed: ask again",
            code="copy_expired",
            detail={"valid_until": answer.payload["valid_until"]},
        )
    entry = next(e for e in timeline if e.hash == item)
    if level_of(entry.body) is not None:
        raise Forbidden(
            "该记录依法应予保密 / this record is confidential", code="record_confidential"
        )
    agency = (await pack_for(link["agency_id"])).data["agency"]
    copy = await _copy_of(ledger, blobs, entry, agency)
    await ledger.append(
        Draft(
            link["case_id"],
            DOWNLOADED,
            f"copy-downloaded:{uuid.uuid4()}",
            {
                "link_entry": link["link_entry"],
                "request": request.hash,
                "decided": answer.hash,
                "item": item,
                "sha256": copy.sha256,
                "ip": ip[:100],
                "user_agent": user_agent[:1000],
            },
            actor=f"party:{link['token_sha256'][:12]}",
        )
    )
    return copy
