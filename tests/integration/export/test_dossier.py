"""The archivist's dossier: material list in order, Chinese text, a PAdES signature that catches one changed byte."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from backend.errors import Forbidden
from backend.export.exports import export_dossier
from backend.export.signing import signing_paths
from backend.ledger.bundle import verify_bundle
from backend.ledger.entry import Draft, canonical
from tests.integration.review.casebook import build_case, passkey_payload

MARCH = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def plain(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def approve(ledger, case_id: str, by: str = "head-zhou", requester: str = "archivist-zhao"):
    """Identity's flow as entries: the request, the head's passkey signature over it, the approval."""
    tag = f"{case_id}-{by}"
    request = await ledger.append(Draft(
        case_id=case_id, kind="export.requested", client_id=f"request-{tag}",
        payload={"staff_id": requester, "scope": "export", "purpose": "行政复议调卷"},
        actor=requester,
    ))  # fmt: skip
    signature = await ledger.append(Draft(
        case_id=case_id, kind="signature.passkey", client_id=f"sign-{tag}",
        payload=passkey_payload(request.hash, "approve_export"), actor=by,
    ))  # fmt: skip
    return await ledger.append(Draft(
        case_id=case_id, kind="export.approved", client_id=f"approved-{tag}",
        payload={"request": request.hash, "signature": signature.hash, "approver": by,
                 "staff_id": requester, "scope": "export",
                 "valid_until": (datetime.now(UTC) + timedelta(days=7)).isoformat()},
        actor=by,
    ))  # fmt: skip


async def validate(data: bytes, cert_path):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(cert_path))])
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    return await async_validate_pdf_signature(signature, context)


async def read_blob(blobs, sha: str) -> bytes:
    return b"".join([chunk async for chunk in blobs.open(sha)])


async def test_the_dossier_lists_materials_in_order_and_its_signature_catches_one_changed_byte(
    projected, blobs, tmp_path, settings
):
    ledger = projected
    built = await build_case(ledger, blobs, tmp_path, at=MARCH, recordings=1)
    approval = await approve(ledger, built.case_id)

    export = await export_dossier(
        ledger, blobs, built.case_id, keys_dir=settings.keys_dir, requester="archivist-zhao",
        approval=approval.hash, client_id="export-1", purpose="行政复议调卷",
    )  # fmt: skip

    pdf = await read_blob(blobs, export.pdf_sha256)
    reader = PdfReader(io.BytesIO(pdf))
    pages = [plain(p.extract_text()) for p in reader.pages]
    everything = "".join(pages)
    assert "行政执法案卷" in pages[0] and "平罗县交通运输综合执法大队" in pages[0]
    toc = pages[1]
    assert toc.startswith("材料目录")
    names = ["案件登记", "现场检查", "录像", "照片", "直接送达", "归档"]
    positions = [toc.find(n) for n in names]
    assert -1 not in positions, (names, toc)
    assert positions == sorted(positions)
    assert "宁A·12345" in everything  # a text record rendered in Chinese
    assert built.blobs["video0"] in everything  # the AV item listed with its hash
    # ...and its SM3 (GB/T 32905) beside it, as Chinese archive rules ask, and every record's.
    from backend.ledger.digests import blob_sm3, sm3_hex

    assert await blob_sm3(blobs, built.blobs["video0"]) in everything
    first = (await ledger.whole_timeline(built.case_id))[0]
    assert sm3_hex(canonical(first.body)) in everything and "记录哈希（SM3）" in everything
    assert "证明对象" in everything and "存储位置" in everything
    assert "合规检查摘要" in everything and "完整性证明" in everything
    assert "当事人拒绝签字" in everything
    assert any(p["/Resources"].get("/XObject") for p in reader.pages)  # the photo is embedded

    cert = signing_paths(settings.keys_dir)[1]
    status = await validate(pdf, cert)
    assert status.intact and status.valid and status.trusted
    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x01
    assert not (await validate(bytes(tampered), cert)).intact

    with zipfile.ZipFile(io.BytesIO(await read_blob(blobs, export.bundle_sha256))) as zf:
        assert zf.read("manifest.json")
    bundle_path = tmp_path / "bundle.zip"
    bundle_path.write_bytes(await read_blob(blobs, export.bundle_sha256))
    assert (await verify_bundle(bundle_path, [ledger.signer.vkey])).ok

    last = (await ledger.whole_timeline(built.case_id))[-1]
    assert last.kind == "access.exported"
    assert last.payload["pdf_sha256"] == export.pdf_sha256
    assert last.payload["approval"] == approval.hash


async def test_the_material_list_page_numbers_match_where_each_material_starts(
    projected, blobs, tmp_path, settings
):
    from backend.export.dossier import render_dossier
    from backend.export.exports import gather

    built = await build_case(projected, blobs, tmp_path, at=MARCH)
    data = await gather(projected, blobs, built.case_id, "casetrail-blobs")
    pdf, materials, pages = render_dossier(data)
    reader = PdfReader(io.BytesIO(pdf))
    for m in materials:
        page_text = plain(reader.pages[pages[m.number] - 1].extract_text())
        assert page_text.startswith(f"{m.number}."), (m.title, page_text[:40])


async def test_an_export_without_approval_is_refused_and_records_nothing(
    projected, blobs, tmp_path, settings
):
    built = await build_case(projected, blobs, tmp_path, at=MARCH)
    before = len(await projected.whole_timeline(built.case_id))
    with pytest.raises(Forbidden):
        await export_dossier(
            projected, blobs, built.case_id, keys_dir=settings.keys_dir,
            requester="archivist-zhao", approval=built.entries["inspection"].hash,
            client_id="export-2",
        )  # fmt: skip
    self_approved = await approve(projected, built.case_id, by="archivist-zhao")
    with pytest.raises(Forbidden):
        await export_dossier(
            projected, blobs, built.case_id, keys_dir=settings.keys_dir,
            requester="archivist-zhao", approval=self_approved.hash, client_id="export-3",
        )  # fmt: skip
    assert len(await projected.whole_timeline(built.case_id)) == before + 3
