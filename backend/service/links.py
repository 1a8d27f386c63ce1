"""Links that serve one document to one party: made after consent, hashed tokens, expiry, revocation, QR."""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import segno

from backend.cases.lifecycle import case_state
from backend.errors import Conflict, Invalid, NotFound
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger
from backend.moments import aware
from backend.service.tables import ServiceLink

TOKEN_BYTES = 32  # 256 bits: far past the 128-bit floor, still a short URL
DEFAULT_EXPIRY = timedelta(days=30)
PDF_MAGIC = b"%PDF-"
DOCUMENT_KIND = "document.generated"
LINK_UNAVAILABLE = "链接无效或已失效 / This link is invalid or no longer valid"


class LinkUnavailable(NotFound):
    """Wrong, expired and revoked tokens all raise this, with one code and one message."""

    def __init__(self) -> None:
        super().__init__(LINK_UNAVAILABLE, code="link_unavailable")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def party_actor(token_sha256: str) -> str:
    return f"party:{token_sha256[:12]}"


# The party page sends the token in this header; it is never part of a path or query.
PARTY_TOKEN_HEADER = "x-party-token"


def party_url(public_url: str, token: str) -> str:
    # The token rides in the fragment: browsers never send it to the server or in a Referer.
    return f"{public_url.rstrip('/')}/party/#{token}"


def qr_svg(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return out.getvalue().decode()


def qr_png_base64(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    return base64.b64encode(out.getvalue()).decode()


async def find_pdf(blobs: Any, entry: Entry) -> str:
    """The SHA-256 of the first PDF blob of a document entry."""
    for sha in entry.body.get("blobs", []):
        if await blobs.exists(sha) and (await blobs.read_range(sha, 0, 5)) == PDF_MAGIC:
            return sha
    raise Invalid("the entry holds no PDF document", code="no_pdf")


def document_name(entry: Entry) -> str:
    payload = entry.payload
    for key in ("document_name", "title", "name", "caption", "filename"):
        if isinstance(payload.get(key), str) and payload[key].strip():
            return payload[key].strip()[:200]
    return "文书 Document"


async def consent_for(ledger: Ledger, case_id: str, recipient: str | None) -> Entry:
    """The latest electronic-service consent on the case (for `recipient`, if named)."""
    found = [
        e
        for e in await ledger.whole_timeline(case_id)
        if e.kind == "service.consent"
        and "link" in e.payload.get("channels", [])
        and (recipient is None or e.payload.get("recipient") == recipient)
    ]
    if not found:
        raise Conflict(
            "当事人尚未签署电子送达确认书 / The party's consent to electronic service "
            "(service.consent) must be recorded first",
            code="no_consent",
        )
    return found[-1]


@dataclass(frozen=True)
class MadeLink:
    entry: Entry
    token: str | None  # None on an idempotent resend: the token is not kept anywhere
    url: str | None


async def create_link(
    ledger: Ledger,
    blobs: Any,
    *,
    case_id: str,
    actor: str | None,
    client_id: str,
    document_entry: str,
    public_url: str,
    recipient: str | None = None,
    expires_at: datetime | None = None,
    statement_deadline: datetime | None = None,
    statement_days: int | None = None,
    now: datetime | None = None,
) -> MadeLink:
    """Append `service.link_created` for one document and remember the token's hash."""
    now = now or datetime.now(UTC)
    state = await case_state(case_id)
    resend = await _entry_for_client(ledger, client_id)
    if resend is not None:
        if resend.case_id != case_id or resend.kind != "service.link_created":
            raise Conflict("client_id already used for a different entry", "client_id_reused")
        return MadeLink(resend, None, None)
    document = await ledger.get(document_entry)
    if document.case_id != case_id:
        raise Invalid("the document is not on this case", code="document_not_in_case")
    pdf = await find_pdf(blobs, document)
    consent = await consent_for(ledger, case_id, recipient)
    recipient = recipient or consent.payload["recipient"]
    expires_at = expires_at or now + DEFAULT_EXPIRY
    if expires_at <= now:
        raise Invalid("the link would already have expired", code="bad_expiry")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    digest = token_hash(token)
    payload: dict[str, Any] = {
        "token_sha256": digest,
        "document_entry": document.hash,
        "document_sha256": pdf,
        "document_name": document_name(document),
        "recipient": recipient,
        "consent_entry": consent.hash,
        "expires_at": utc_iso(expires_at),
    }
    if statement_deadline is not None:
        payload["statement_deadline"] = utc_iso(statement_deadline)
    if statement_days is not None:
        payload["statement_days"] = statement_days
    entry = await ledger.append(
        Draft(
            case_id=case_id,
            kind="service.link_created",
            client_id=client_id,
            payload=payload,
            actor=actor,
        )
    )
    await ServiceLink.insert(
        ServiceLink(
            token_sha256=digest,
            link_entry=entry.hash,
            case_id=case_id,
            agency_id=state["agency_id"],
            document_entry=document.hash,
            document_sha256=pdf,
            document_name=payload["document_name"],
            recipient=recipient,
            created_at=entry.received_at,
            expires_at=expires_at,
            statement_deadline=statement_deadline,
            statement_days=statement_days,
        )
    )
    return MadeLink(entry, token, party_url(public_url, token))


async def _entry_for_client(ledger: Ledger, client_id: str) -> Entry | None:
    return await ledger.by_client_id(client_id)


async def revoke_link(
    ledger: Ledger, *, case_id: str, link_entry: str, actor: str | None, reason: str
) -> Entry:
    row = await _link_row(case_id, link_entry)
    entry = await ledger.append(
        Draft(
            case_id=case_id,
            kind="service.link_revoked",
            client_id=f"{link_entry}:revoke",
            payload={"link_entry": link_entry, "reason": reason},
            actor=actor,
        )
    )
    if row["revoked_at"] is None:
        await ServiceLink.update({ServiceLink.revoked_at: entry.received_at}).where(
            ServiceLink.link_entry == link_entry
        )
    return entry


async def _link_row(case_id: str, link_entry: str) -> dict[str, Any]:
    row = (
        await ServiceLink.select()
        .where((ServiceLink.link_entry == link_entry) & (ServiceLink.case_id == case_id))
        .first()
    )
    if row is None:
        raise NotFound("no such link on this case", code="link_not_found")
    return row


async def list_links(case_id: str) -> list[dict[str, Any]]:
    rows = await ServiceLink.select().where(ServiceLink.case_id == case_id)
    return [link_json(r) for r in sorted(rows, key=lambda r: r["created_at"])]


def link_json(row: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    status = "active"
    if row["revoked_at"] is not None:
        status = "revoked"
    elif aware(row["expires_at"]) <= now:
        status = "expired"
    return {
        "link_entry": row["link_entry"],
        "document_entry": row["document_entry"],
        "document_sha256": row["document_sha256"],
        "document_name": row["document_name"],
        "recipient": row["recipient"],
        "status": status,
        "expires_at": utc_iso(row["expires_at"]),
        "served_at": utc_iso(row["first_opened_at"]) if row["first_opened_at"] else None,
        "statement_deadline": utc_iso(row["statement_deadline"])
        if row["statement_deadline"]
        else None,
        "confirmed_entry": row["confirmed_entry"],
    }


async def resolve(token: str, now: datetime | None = None) -> dict[str, Any]:
    """The live link a token opens, or LinkUnavailable (the same for every failure)."""
    now = now or datetime.now(UTC)
    digest = token_hash(token) if 20 <= len(token) <= 100 else token_hash("-")
    row = await ServiceLink.select().where(ServiceLink.token_sha256 == digest).first()
    if row is None or row["revoked_at"] is not None or aware(row["expires_at"]) <= now:
        raise LinkUnavailable()
    return row
