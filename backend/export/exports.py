"""Exporting a case: approval checked, dossier PDF signed, verifiable bundle made, and an `access.exported` entry.

Both files go to the blob store under their SHA-256 (not into the entry's `blobs`, so the case's own
verification never depends on an export). The entry names them and the approval it relied on.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.cases.lifecycle import case_view, pack_for
from backend.errors import Conflict, Forbidden, NotFound
from backend.evidence.holdings import blobs_held
from backend.export.dossier import DossierInput, render_dossier
from backend.export.signing import Seal, sign_pdf
from backend.identity.signatures import key_rows_for
from backend.ledger.bundle import export_case, file_sha256
from backend.ledger.digests import blob_sm3, sm3_hex
from backend.ledger.entry import Draft, Entry, canonical
from backend.ledger.ledger import Ledger
from backend.moments import parse_iso

EXPORT_KIND = "access.exported"
APPROVAL_KIND = "export.approved"
IMAGE_KINDS = ("media.photo",)


@dataclass(frozen=True)
class Export:
    entry: Entry
    pdf_sha256: str
    bundle_sha256: str
    materials: int
    pages: int

    def json(self) -> dict[str, Any]:
        case_id = self.entry.case_id
        return {
            "entry": self.entry.to_json(),
            "pdf_sha256": self.pdf_sha256,
            "bundle_sha256": self.bundle_sha256,
            "materials": self.materials,
            "pages": self.pages,
            "pdf_url": f"/api/cases/{case_id}/dossier/{self.pdf_sha256}",
            "bundle_url": f"/api/cases/{case_id}/dossier/{self.bundle_sha256}",
        }


async def check_approval(ledger: Ledger, case_id: str, approval: str, requester: str) -> Entry:
    """The `export.approved` entry this export relies on (identity's approval flow).

    It must be on this case, for this requester and scope `export`, still valid, signed by someone
    else, and not used for an earlier export (hebei §16-17: the unit head approves each export).
    """
    entries = await ledger.whole_timeline(case_id)
    found = next((e for e in entries if e.hash == approval), None)
    if found is None or found.kind != APPROVAL_KIND:
        raise Forbidden("exporting needs the unit head's approval on this case",
                        code="export_not_approved")  # fmt: skip
    p = found.payload
    if p.get("staff_id") != requester or p.get("scope") != "export":
        raise Forbidden("that approval is not for this export by you", code="export_not_approved")
    if p.get("approver") == requester:
        raise Forbidden("nobody approves their own export", code="export_self_approved")
    if parse_iso(p["valid_until"]) < datetime.now(UTC):
        raise Forbidden("the export approval has expired", code="export_approval_expired")
    if any(e.kind == EXPORT_KIND and e.payload.get("approval") == approval for e in entries):
        raise Conflict("that approval was already used for an export", code="approval_used")
    return found


async def gather(ledger: Ledger, blobs: Any, case_id: str, storage: str) -> DossierInput:
    view = await case_view(ledger, case_id)
    entries = await ledger.whole_timeline(case_id)
    if not entries:
        raise NotFound("no such case", code="case_not_found")
    pack = await pack_for(view["agency_id"])
    images: dict[str, bytes] = {}
    wanted = {e.payload.get("sha256") for e in entries if e.kind in IMAGE_KINDS}
    wanted |= {
        s.get("blob")
        for e in entries
        for s in e.payload.get("signatures") or []
        if isinstance(s, dict) and s.get("blob")
    }
    held = await blobs_held(case_id)  # never another case's originals, whatever an entry names
    for sha in sorted(s for s in wanted if s and s in held):
        if await blobs.exists(sha) and await blobs.size(sha) <= 30 * 1024 * 1024:
            images[sha] = b"".join([chunk async for chunk in blobs.open(sha)])
    checkpoint = await ledger.latest_checkpoint()
    if checkpoint is None or checkpoint.size <= max(e.log_index for e in entries):
        checkpoint = await ledger.checkpoint()
    # SM3 (GB/T 32905) beside SHA-256 for every entry and held file the dossier names.
    sm3 = {e.hash: sm3_hex(canonical(e.body)) for e in entries}
    for sha in sorted({b for e in entries for b in e.body.get("blobs", [])} & set(held)):
        value = await blob_sm3(blobs, sha)
        if value:
            sm3[sha] = value
    return DossierInput(
        agency_name=pack.agency_name,
        case=view,
        entries=entries,
        compliance=view["compliance"],
        checkpoint_note=checkpoint.note,
        checkpoint_size=checkpoint.size,
        storage=storage,
        blobs=images,
        sm3=sm3,
    )


async def export_dossier(
    ledger: Ledger,
    blobs: Any,
    case_id: str,
    *,
    seal: Seal,
    requester: str,
    approval: str,
    client_id: str,
    storage: str = "casetrail-blobs",
    purpose: str | None = None,
    recipient: str | None = None,
) -> Export:
    """Make the signed dossier and the bundle, keep both, and record the export on the case."""
    approved = await check_approval(ledger, case_id, approval, requester)
    data = await gather(ledger, blobs, case_id, storage)
    unsigned, materials, pages = render_dossier(data)
    signed, pades = await sign_pdf(
        unsigned, seal, data.agency_name, reason="案卷导出", location=data.agency_name
    )
    with tempfile.TemporaryDirectory() as tmp:
        pdf_path, bundle_path = Path(tmp) / "dossier.pdf", Path(tmp) / "bundle.zip"
        pdf_path.write_bytes(signed)
        await export_case(
            ledger, blobs, case_id, bundle_path, await blobs_held(case_id),
            await key_rows_for(case_id),
        )  # fmt: skip
        pdf_sha = hashlib.sha256(signed).hexdigest()
        bundle_sha = file_sha256(bundle_path)
        await blobs.put_file(pdf_path, pdf_sha)
        await blobs.put_file(bundle_path, bundle_sha)
    payload: dict[str, Any] = {
        "pdf_sha256": pdf_sha,
        "bundle_sha256": bundle_sha,
        "approval": approved.hash,
        "format": "dossier_pdf+bundle",
        "pades": pades,
        "checkpoint_size": data.checkpoint_size,
        "materials": len(materials),
        "pages": max(pages.values(), default=0) + 2,
    }
    if purpose:
        payload["purpose"] = purpose
    if recipient:
        payload["recipient"] = recipient
    entry = await ledger.append(
        Draft(
            case_id=case_id, kind=EXPORT_KIND, client_id=client_id, payload=payload, actor=requester
        )  # fmt: skip
    )
    return Export(entry, pdf_sha, bundle_sha, len(materials), payload["pages"])


async def exported_file(ledger: Ledger, case_id: str, sha256: str) -> tuple[str, Entry]:
    """The media type of an export of this case and its `access.exported` entry, or NotFound:
    only recorded exports are served."""
    for entry in await ledger.whole_timeline(case_id):
        if entry.kind != EXPORT_KIND:
            continue
        if entry.payload.get("pdf_sha256") == sha256:
            return "application/pdf", entry
        if entry.payload.get("bundle_sha256") == sha256:
            return "application/zip", entry
    raise NotFound("no such export of this case", code="export_not_found")
