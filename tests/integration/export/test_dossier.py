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
from backend.export.signing import Seal, signing_paths
from backend.ledger.bundle import verify_bundle
from backend.ledger.entry import Draft, canonical
from tests.integration.review.casebook import build_case, passkey_payload
from tests.unit.ledger.test_timestamp import tsa  # noqa: F401 - the local TSA fixture

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
        ledger, blobs, built.case_id, seal=Seal(settings.keys_dir), requester="archivist-zhao",
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
            projected, blobs, built.case_id, seal=Seal(settings.keys_dir),
            requester="archivist-zhao", approval=built.entries["inspection"].hash,
            client_id="export-2",
        )  # fmt: skip
    self_approved = await approve(projected, built.case_id, by="archivist-zhao")
    with pytest.raises(Forbidden):
        await export_dossier(
            projected, blobs, built.case_id, seal=Seal(settings.keys_dir),
            requester="archivist-zhao", approval=self_approved.hash, client_id="export-3",
        )  # fmt: skip
    assert len(await projected.whole_timeline(built.case_id)) == before + 3


def issuing_ca(directory) -> tuple:
    """A provincial CA and a seal certificate it issued to the agency (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # fmt: skip

    now = datetime.now(UTC)
    ca_key, seal_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = (
        x509.CertificateBuilder().subject_name(name("某省电子政务CA")).issuer_name(name("某省电子政务CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    seal = (
        x509.CertificateBuilder().subject_name(name("平罗县交通运输综合执法大队 电子案卷签章"))
        .issuer_name(ca.subject).public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                       key_cert_sign=False, crl_sign=False, encipher_only=False,
                       decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = directory / "seal.key.pem", directory / "seal.cert.pem", directory / "ca.pem"
    paths[0].write_bytes(seal_key.private_bytes(serialization.Encoding.PEM,
                         serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    paths[1].write_bytes(seal.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return paths


async def exported(ledger, blobs, tmp_path, seal: Seal, tag: str):
    built = await build_case(ledger, blobs, tmp_path, at=MARCH)
    approval = await approve(ledger, built.case_id)
    export = await export_dossier(
        ledger, blobs, built.case_id, seal=seal, requester="archivist-zhao",
        approval=approval.hash, client_id=f"export-{tag}",
    )  # fmt: skip
    last = (await ledger.whole_timeline(built.case_id))[-1]
    return await read_blob(blobs, export.pdf_sha256), last.payload


async def test_with_a_time_stamp_authority_the_dossier_seal_carries_its_token_pades_b_t(
    projected,
    blobs,
    tmp_path,
    settings,
    tsa,  # noqa: F811
):
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko_certvalidator import ValidationContext

    pdf, recorded = await exported(
        projected, blobs, tmp_path, Seal(settings.keys_dir, tsa["url"]), "b-t"
    )
    assert recorded["pades"] == "B-T"

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    seal_cert = signing_paths(settings.keys_dir)[1]
    from pyhanko.keys import load_cert_from_pemder

    status = await async_validate_pdf_signature(
        signature,
        ValidationContext(trust_roots=[load_cert_from_pemder(str(seal_cert))]),
        ts_validation_context=ValidationContext(
            trust_roots=list(load_certs_from_pemder_data(tsa["chain"]))[-1:]
        ),
    )
    assert status.intact and status.valid and status.trusted
    stamped = status.timestamp_validity
    assert stamped is not None and stamped.intact and stamped.valid and stamped.trusted
    assert abs(stamped.timestamp - datetime.now(UTC)) < timedelta(minutes=5)


async def test_a_time_stamp_authority_outage_seals_without_a_token_and_says_so(
    projected, blobs, tmp_path, settings
):
    down = Seal(settings.keys_dir, "http://127.0.0.1:9/tsr")  # nothing listens there
    pdf, recorded = await exported(projected, blobs, tmp_path, down, "b-b")
    assert recorded["pades"] == "B-B"
    status = await validate(pdf, signing_paths(settings.keys_dir)[1])
    assert status.intact and status.valid and status.timestamp_validity is None


async def test_a_seal_issued_by_the_agencys_ca_is_trusted_through_that_ca(
    projected, blobs, tmp_path, settings
):
    key, cert, ca = issuing_ca(tmp_path)
    seal = Seal(settings.keys_dir, key_file=str(key), cert_file=str(cert), chain_file=str(ca))
    pdf, _ = await exported(projected, blobs, tmp_path, seal, "ca")

    status = await validate(pdf, ca)  # trusting the CA, not the seal itself
    assert status.intact and status.valid and status.trusted
    assert "平罗县交通运输综合执法大队" in status.signing_cert.subject.human_friendly
    assert not signing_paths(settings.keys_dir)[0].exists(), "no self-signed seal was made"
