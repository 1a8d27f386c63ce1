"""HTTP routes for service: officers make links and notices; parties and the public use the rest.

Thin: links.py, party.py and notices.py do the work. Every party route passes the per-IP
throttle first, and a token that opens nothing gets one answer whatever the reason.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.response import Stream

from backend.blobstore import BlobStore
from backend.client_address import client_ip
from backend.errors import Invalid, NotFound, TooLarge
from backend.evidence.ingest_checks import check_bytes
from backend.evidence.sniff import normalize_mime
from backend.identity.access import check_client_id, principal_of
from backend.ledger.ledger import Ledger
from backend.ledger.routes import entry_out
from backend.ledger.schemas import AppendRequest, EntryOut
from backend.service import consent, links, notices, party, record_copies, verification
from backend.service.receipt_paper import render_receipt_pdf
from backend.service.schemas import (
    Confirm,
    CopyRequest,
    CreatedLink,
    CreateLink,
    LinkOut,
    PublishNotice,
    RevokeLink,
    WithdrawNotice,
)
from backend.service.throttle import THROTTLE
from backend.settings import Settings

NO_STORE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
MAX_ATTACHMENT = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
ATTACHMENT_TYPES = frozenset(
    {"application/pdf", "image/jpeg", "image/png", "image/heic", "text/plain"}
)


def _ip(request: Request) -> str:
    return client_ip(request) or "unknown"


def _ua(request: Request) -> str:
    return request.headers.get("user-agent", "")


async def _link(request: Request) -> dict[str, Any]:
    ip = _ip(request)
    await THROTTLE.admit(ip)
    try:
        return await links.resolve(request.headers.get(links.PARTY_TOKEN_HEADER, ""))
    except links.LinkUnavailable:
        await THROTTLE.failed(ip)
        raise


class ServiceOfficerController(Controller):
    path = "/cases/{case_id:str}"
    tags = ["service"]

    @post(
        "/service/consent",
        operation_id="recordServiceConsent",
        opt={"access": "case:write"},
        status_code=201,
    )
    async def record_consent(
        self, request: Request, case_id: str, data: AppendRequest, ledger: Ledger, blobs: BlobStore
    ) -> EntryOut:
        """Record the party's consent to electronic service; the body is an entry as the outbox sends it."""
        if data.kind != consent.KIND or data.corrects is not None:
            raise Invalid("this endpoint records service.consent only", code="wrong_kind")
        check_client_id(data.client_id)
        entry = await consent.record_consent(
            ledger,
            blobs,
            case_id=case_id,
            actor=principal_of(request).staff_id,
            client_id=data.client_id,
            payload=data.payload,
            claimed=data.claimed,
            device=data.device,
        )
        return entry_out(entry)

    @post(
        "/service/links",
        operation_id="createServiceLink",
        opt={"access": "case:write"},
        status_code=201,
    )
    async def create_link(
        self,
        request: Request,
        case_id: str,
        data: CreateLink,
        ledger: Ledger,
        blobs: BlobStore,
        settings: Settings,
    ) -> CreatedLink:
        """Make a link serving one document (needs the party's recorded consent); returns the token once."""
        actor = principal_of(request).staff_id
        made = await links.create_link(
            ledger,
            blobs,
            case_id=case_id,
            actor=actor,
            client_id=data.client_id,
            document_entry=data.document_entry,
            public_url=settings.public_url,
            recipient=data.recipient,
            expires_at=data.expires_at,
            statement_deadline=data.statement_deadline,
            statement_days=data.statement_days,
        )
        row = next(r for r in await links.list_links(case_id) if r["link_entry"] == made.entry.hash)
        return CreatedLink(
            link=msgspec.convert(row, LinkOut),
            token=made.token,
            url=made.url,
            qr_svg=links.qr_svg(made.url) if made.url else None,
            qr_png_base64=links.qr_png_base64(made.url) if made.url else None,
        )

    @get("/service/links", operation_id="listServiceLinks", opt={"access": "case:read"})
    async def list_links(self, request: Request, case_id: str) -> list[LinkOut]:
        """The case's links and whether each was opened, confirmed, revoked or expired."""
        return [msgspec.convert(r, LinkOut) for r in await links.list_links(case_id)]

    @post(
        "/service/links/{link_entry:str}/revoke",
        operation_id="revokeServiceLink",
        opt={"access": "case:write"},
        status_code=201,
    )
    async def revoke(
        self, request: Request, case_id: str, link_entry: str, data: RevokeLink, ledger: Ledger
    ) -> EntryOut:
        """Stop a link from opening; the revocation is an entry."""
        actor = principal_of(request).staff_id
        entry = await links.revoke_link(
            ledger, case_id=case_id, link_entry=link_entry, actor=actor, reason=data.reason
        )
        return entry_out(entry)

    @post("/notices", operation_id="publishNotice", opt={"access": "case:write"}, status_code=201)
    async def publish(
        self,
        request: Request,
        case_id: str,
        data: PublishNotice,
        ledger: Ledger,
        blobs: BlobStore,
    ) -> EntryOut:
        """Put a masked notice on the public board; its period and deemed-service date come from the pack."""
        actor = principal_of(request).staff_id
        entry = await notices.publish_notice(
            ledger,
            blobs,
            case_id=case_id,
            actor=actor,
            client_id=data.client_id,
            purpose=data.purpose,
            title=data.title,
            text=data.text,
            document_entry=data.document_entry,
            service_record=data.service_record,
            start_date=data.start_date,
            period_days=data.period_days,
        )
        return entry_out(entry)

    @post(
        "/notices/{notice_entry:str}/withdraw",
        operation_id="withdrawNotice",
        opt={"access": "case:write"},
        status_code=201,
    )
    async def withdraw(
        self,
        request: Request,
        case_id: str,
        notice_entry: str,
        data: WithdrawNotice,
        ledger: Ledger,
    ) -> EntryOut:
        """Take a notice down before its period ends (the entry says why)."""
        actor = principal_of(request).staff_id
        entry = await notices.withdraw_notice(
            ledger, case_id=case_id, notice_entry=notice_entry, actor=actor, note=data.note
        )
        return entry_out(entry)


class PartyController(Controller):
    """The party's own routes: public, scoped to the one document the token serves.

    The token travels in a header, never in the path, so proxy and access logs never hold it.
    """

    path = "/party"
    tags = ["party"]
    # Every call passes THROTTLE (429); a token that opens nothing is 404 (backend/openapi.py).
    opt = {"access": "public", "throttled": True, "link_token": True}

    @get("/", operation_id="openServedDocument")
    async def open(self, request: Request, ledger: Ledger) -> Response:
        """Open the served document's page; every call is recorded, the first is the moment of service."""
        link = await _link(request)
        view = await party.open_link(ledger, link, ip=_ip(request), user_agent=_ua(request))
        return Response(view, headers=NO_STORE)

    @get("/document", operation_id="servedDocumentPdf")
    async def document(self, request: Request, blobs: BlobStore, download: bool = False) -> Stream:
        """The served PDF (inline for the page, or as a download)."""
        link = await _link(request)
        if link["first_opened_at"] is None:
            raise Invalid("请先打开文书页面 / Open the page first", code="not_opened")
        name = "document.pdf"
        disposition = "attachment" if download else "inline"
        return Stream(
            blobs.open(link["document_sha256"]),
            media_type="application/pdf",
            headers={
                **NO_STORE,
                "Content-Disposition": f'{disposition}; filename="{name}"',
                "Content-Length": str(await blobs.size(link["document_sha256"])),
            },
        )

    @get("/passkey-options", operation_id="confirmationOptions")
    async def passkey_options(self, request: Request, settings: Settings) -> Response:
        """WebAuthn creation options whose challenge is the document's SHA-256."""
        link = await _link(request)
        options = party.registration_options(link, settings.rp_id, settings.rp_name)
        return Response(json.loads(options), headers=NO_STORE)

    @post("/confirm", operation_id="confirmReceipt", status_code=201)
    async def confirm(
        self,
        request: Request,
        data: Confirm,
        ledger: Ledger,
        blobs: BlobStore,
        settings: Settings,
    ) -> Response:
        """Confirm receipt by a drawn signature or a passkey ceremony; returns the receipt."""
        link = await _link(request)
        if data.method == "passkey":
            if not data.credential:
                raise Invalid("credential missing", code="bad_ceremony")
            receipt = await party.confirm_with_passkey(
                ledger,
                link,
                data.credential,
                rp_id=settings.rp_id,
                origins=list(settings.origins),
                ip=_ip(request),
                user_agent=_ua(request),
            )
        else:
            receipt = await party.confirm_with_drawing(
                ledger,
                blobs,
                link,
                png_base64=data.png_base64 or "",
                strokes=data.strokes or [],
                ip=_ip(request),
                user_agent=_ua(request),
            )
        return Response(receipt, status_code=201, headers=NO_STORE)

    @get("/receipt", operation_id="partyReceipt")
    async def receipt(self, request: Request, ledger: Ledger) -> Response:
        """The party's receipt as a file to keep; `casetrail verify --receipt FILE` checks it offline."""
        link = await _link(request)
        body = await party.receipt_for(ledger, link)
        return Response(
            body,
            headers={
                **NO_STORE,
                "Content-Disposition": 'attachment; filename="casetrail-receipt.json"',
            },
        )

    @get("/receipt.pdf", operation_id="partyReceiptPdf")
    async def receipt_pdf(self, request: Request, ledger: Ledger, settings: Settings) -> Response:
        """The receipt as a paper (送达回证) to print or forward; the JSON receipt rides inside."""
        link = await _link(request)
        body = await party.receipt_for(ledger, link)
        served = await ledger.get(link["document_entry"])
        pdf = render_receipt_pdf(
            body,
            recipient=link["recipient"],
            document_number=str(served.payload.get("number") or ""),
            verify_url=f"{settings.public_url}/verify/#document={link['document_sha256']}",
        )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={**NO_STORE, "Content-Disposition": 'attachment; filename="receipt.pdf"'},
        )

    @get("/records", operation_id="partyCaseRecords")
    async def records(self, request: Request, ledger: Ledger) -> Response:
        """The case's records the party may ask to view or copy, in words, and their requests."""
        link = await _link(request)
        return Response(
            {
                "records": await record_copies.case_records(ledger, link["case_id"]),
                "requests": await record_copies.party_requests(ledger, link),
            },
            headers=NO_STORE,
        )

    @post("/copy-requests", operation_id="requestRecordCopies", status_code=201)
    async def request_copies(self, request: Request, data: CopyRequest, ledger: Ledger) -> Response:
        """Ask the unit head to let the party view or copy named records (hebei §17)."""
        link = await _link(request)
        await record_copies.request_copies(
            ledger,
            link,
            purpose=data.purpose,
            items=data.items,
            note=data.note,
            ip=_ip(request),
            user_agent=_ua(request),
        )
        return Response(
            {"requests": await record_copies.party_requests(ledger, link)},
            status_code=201,
            headers=NO_STORE,
        )

    @get("/copies/{request_entry:str}/{item:str}", operation_id="downloadRecordCopy")
    async def copy(
        self, request: Request, request_entry: str, item: str, ledger: Ledger, blobs: BlobStore
    ) -> Response | Stream:
        """One approved record, until the approval's time runs out; each download is recorded."""
        link = await _link(request)
        made = await record_copies.download_copy(
            ledger, blobs, link, request_entry, item, ip=_ip(request), user_agent=_ua(request)
        )
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{made.filename}"'}
        if made.data is not None:
            return Response(made.data, media_type=made.media_type, headers=headers)
        return Stream(blobs.open(made.sha256 or ""), media_type=made.media_type, headers=headers)

    @post(
        "/statements",
        operation_id="submitStatement",
        status_code=201,
        request_max_body_size=MAX_ATTACHMENTS * MAX_ATTACHMENT + 1024 * 1024,
    )
    async def statement(
        self, request: Request, ledger: Ledger, blobs: BlobStore, settings: Settings
    ) -> Response:
        """A statement or defence with attachments (multipart form), accepted until the deadline."""
        link = await _link(request)
        form = await request.form()
        files = [f for f in form.getall("files") if hasattr(f, "read")] if "files" in form else []
        if len(files) > MAX_ATTACHMENTS:
            raise Invalid(f"at most {MAX_ATTACHMENTS} attachments", code="too_many_attachments")
        # Refuse a late statement before storing anything it carries.
        party.check_deadline(link)
        checked = []
        for upload in files:
            media_type = normalize_mime(upload.content_type or "")
            if media_type not in ATTACHMENT_TYPES:
                raise Invalid(
                    f"附件类型不支持 / Attachment type {media_type} is not accepted",
                    code="bad_attachment",
                )
            data = await upload.read()
            if len(data) > MAX_ATTACHMENT:
                raise TooLarge("附件过大 / Attachment too large", code="too_large")
            # The same content checks as an officer's upload (sniffed type, no polyglot, safe
            # decode, sane EXIF), all before anything is stored.
            facts = await check_bytes(data, media_type, ATTACHMENT_TYPES, settings.data_dir / "tmp")
            checked.append((upload, data, facts["media_type"]))
        attachments = []
        for upload, data, media_type in checked:
            async with blobs.writer(max_bytes=MAX_ATTACHMENT) as writer:
                await writer.write(data)
            attachments.append(
                {
                    "sha256": writer.sha256,
                    "filename": (upload.filename or "attachment")[:200],
                    "media_type": media_type,
                    "size": len(data),
                }
            )
        receipt = await party.submit_statement(
            ledger,
            link,
            type_=str(form.get("type") or "statement"),
            text=str(form.get("text") or ""),
            attachments=attachments,
            ip=_ip(request),
            user_agent=_ua(request),
        )
        return Response(receipt, status_code=201, headers=NO_STORE)


class NoticeBoardController(Controller):
    path = "/notices"
    tags = ["notices"]
    opt = {"access": "public"}

    @get("/", operation_id="noticeBoard")
    async def board(self, ledger: Ledger) -> list[dict[str, Any]]:
        """Current public notices by agency (expired ones are taken down first)."""
        return await notices.board(ledger)

    @get("/{notice_id:str}/document", operation_id="noticeDocument")
    async def document(self, notice_id: str, blobs: BlobStore) -> Stream:
        """The notice's PDF while the notice is on the board."""
        row = await notices.current_row(notice_id, datetime.now(UTC))
        if not row["document_sha256"]:
            raise NotFound(notices.NOT_ON_BOARD, code="notice_not_found")
        return Stream(
            blobs.open(row["document_sha256"]),
            media_type="application/pdf",
            headers={"Content-Disposition": 'inline; filename="notice.pdf"', **NO_STORE},
        )

    @get("/{notice_id:str}/photos/{index:int}", operation_id="noticePhoto")
    async def photo(self, notice_id: str, index: int, ledger: Ledger, blobs: BlobStore) -> Stream:
        """The notice's `index`-th posting photo (from 0), as its EXIF-free public copy only."""
        public = await notices.public_copy(ledger, blobs, notice_id, index, datetime.now(UTC))
        return Stream(blobs.open(public), media_type="image/jpeg", headers=NO_STORE)


class VerificationController(Controller):
    """What the public verification page may ask: is this file a paper we made, and what is it."""

    path = "/verify"
    tags = ["verify"]
    opt = {"access": "public"}

    @get("/documents/{sha256:str}", operation_id="verifyDocument")
    async def document(self, sha256: str, ledger: Ledger) -> verification.PaperFacts:
        """A served or generated paper by the SHA-256 the browser computed (the file never leaves it)."""
        return await verification.paper_facts(ledger, sha256)


API_ROUTES = [
    ServiceOfficerController,
    PartyController,
    NoticeBoardController,
    VerificationController,
]
