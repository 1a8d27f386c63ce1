"""HTTP routes for generated documents: render a record as PDF, and download it (thin: documents.py)."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.response import Stream

from backend.cases.documents import MEDIA_TYPE, document_blob, generate_document
from backend.evidence.blobstore import BlobStore, validate_sha256
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


class DocumentsController(Controller):
    path = "/cases/{case_id:str}/documents"
    tags = ["cases"]

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
