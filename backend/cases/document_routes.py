"""HTTP routes for generated documents: render a record as PDF, and download it (thin: documents.py)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.response import Stream

from backend.blobstore import BlobStore, validate_sha256
from backend.cases.document_offers import document_offers
from backend.cases.documents import MEDIA_TYPE, document_blob, generate_document
from backend.identity.access import principal_of
from backend.ledger.ledger import Ledger
from backend.ledger.routes import entry_out
from backend.ledger.schemas import EntryOut


class GenerateDocument(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    document_kind: Literal[
        "case_opening_approval",
        "decision_letter",
        "rights_notice",
        "urging_notice",
        "service_receipt",
        "public_notice",
    ]
    renders: str
    number: str | None = None


class DocumentMade(msgspec.Struct):
    hash: str
    blob: str
    number: str
    renders: str
    dated: str | None
    received_at: str
    # {decision: approved|refused|returned, by, at, reason} once an approver signed it
    approval: dict[str, Any] | None = None
    # {title, agency_name, number, parties, lines: [[label, value]], closing, dated}
    preview: dict[str, Any] | None = None


class RecordRef(msgspec.Struct):
    hash: str
    kind: str
    received_at: str


class DocumentOffer(msgspec.Struct):
    """A document the case's pack offers: the records it can render and the copies made so far."""

    document_kind: str
    title_zh: str
    title_en: str
    stage: str
    approval_required: bool
    record_kinds: list[str]
    records: list[RecordRef]
    documents: list[DocumentMade]


class DocumentsController(Controller):
    path = "/cases/{case_id:str}/documents"
    tags = ["cases"]

    @get("/", operation_id="listDocumentOffers", opt={"access": "case:read"})
    async def offers(self, case_id: str, ledger: Ledger) -> list[DocumentOffer]:
        """The documents this case's pack offers, what each can render and what was made."""
        return [msgspec.convert(o, DocumentOffer) for o in await document_offers(ledger, case_id)]

    @post("/", operation_id="generateDocument", opt={"access": "case:write"}, status_code=201)
    async def generate(
        self,
        request: Request,
        case_id: str,
        data: GenerateDocument,
        ledger: Ledger,
        blobs: BlobStore,
    ) -> EntryOut:
        """Render a record entry as a PDF document; the entry's `blobs` names the PDF."""
        entry = await generate_document(
            ledger,
            blobs,
            case_id,
            client_id=data.client_id,
            document_kind=data.document_kind,
            renders=data.renders,
            actor=principal_of(request).staff_id,
            number=data.number,
        )
        return entry_out(entry)

    @get("/{sha256:str}", operation_id="downloadDocument", opt={"access": "case:read"})
    async def download(self, case_id: str, sha256: str, ledger: Ledger, blobs: BlobStore) -> Stream:
        """The PDF of a document generated on this case."""
        entry = await document_blob(ledger, case_id, validate_sha256(sha256))
        name = f"{entry.payload['document_kind']}-{sha256[:12]}.pdf"
        return Stream(
            blobs.open(sha256),
            media_type=MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, max-age=31536000, immutable",
            },
        )


DOCUMENT_ROUTES = [DocumentsController]
