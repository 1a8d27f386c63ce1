"""HTTP routes for dossier export: make one (with approval) and download what was exported."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.response import Stream

from backend.blobstore import BlobStore
from backend.client_address import client_ip
from backend.export.exports import export_dossier, exported_file
from backend.export.signing import Seal
from backend.identity.access import principal_of
from backend.identity.access_log import log_access
from backend.ledger.ledger import Ledger
from backend.settings import Settings


class ExportRequest(msgspec.Struct):
    client_id: str
    approval: str
    purpose: str | None = None
    recipient: str | None = None


@post(
    "/cases/{case_id:str}/dossier",
    operation_id="exportDossier",
    opt={"access": "case:read"},
    tags=["export"],
    status_code=201,
)
async def make_export(
    request: Request,
    case_id: str,
    data: ExportRequest,
    ledger: Ledger,
    blobs: BlobStore,
    settings: Settings,
) -> dict[str, Any]:
    """Signed dossier PDF (PAdES) plus verifiable bundle; needs an approval and is itself an entry."""
    me = principal_of(request)
    export = await export_dossier(
        ledger, blobs, case_id, seal=Seal.from_settings(settings), requester=me.staff_id,
        approval=data.approval, client_id=data.client_id,
        storage=settings.blob_store or "casetrail-blobs", purpose=data.purpose,
        recipient=data.recipient,
    )  # fmt: skip
    return export.json()


@get(
    "/cases/{case_id:str}/dossier/{sha256:str}",
    operation_id="downloadExport",
    opt={"access": "case:read"},
    tags=["export"],
)
async def download_export(
    request: Request, case_id: str, sha256: str, ledger: Ledger, blobs: BlobStore
) -> Response:
    """A file this case was exported as (the entry names it), streamed from the blob store.

    Each download is a copy leaving the system, so it is on the case's timeline: who, from where,
    which file, under which approval.
    """
    media_type, export = await exported_file(ledger, case_id, sha256)
    suffix = "pdf" if media_type == "application/pdf" else "zip"
    await log_access(
        ledger, principal_of(request), case_id, "copy", f"dossier.{suffix} {sha256}",
        client_ip(request), request.headers.get("user-agent"),
        permission=export.payload.get("approval"),
    )  # fmt: skip
    return Stream(
        blobs.open(sha256),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{case_id}-{sha256[:12]}.{suffix}"'},
    )


API_ROUTES = [make_export, download_export]
