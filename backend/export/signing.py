"""The agency's dossier-signing key and self-signed certificate, and PAdES signing with pyHanko.

Made in data_dir/keys on first use. A deployment with a CA-issued seal certificate puts its key
and certificate at the same paths; nothing else changes.
"""

from __future__ import annotations

import asyncio
import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KEY_FILE = "dossier-signing.key.pem"
CERT_FILE = "dossier-signing.cert.pem"


def signing_paths(keys_dir: Path) -> tuple[Path, Path]:
    return Path(keys_dir) / KEY_FILE, Path(keys_dir) / CERT_FILE


def name_part(text: str, limit: int = 64) -> str:
    """`text` cut to fit a certificate name attribute (64 UTF-8 bytes), at a character boundary.

    Full Chinese agency names (衡阳市蒸湘区人力资源和社会保障局 …) run past it.
    """
    return text.encode()[:limit].decode(errors="ignore")


def load_or_create(keys_dir: Path, agency_name: str = "CaseTrail") -> tuple[Path, Path]:
    """Paths of the signing key and certificate, creating a P-256 key and a 10-year self-signed cert."""
    key_path, cert_path = signing_paths(keys_dir)
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name_part(agency_name)),
            x509.NameAttribute(NameOID.COMMON_NAME, name_part(f"{agency_name} 电子案卷签章")),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),  # fmt: skip
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    tmp = key_path.with_suffix(".tmp")
    tmp.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(tmp, 0o600)
    os.replace(tmp, key_path)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _sign(pdf: bytes, key_path: Path, cert_path: Path, reason: str, location: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load(str(key_path), str(cert_path), key_passphrase=None)
    meta = signers.PdfSignatureMetadata(
        field_name="CaseTrailDossier",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=out)
    return out.getvalue()


async def sign_pdf(
    pdf: bytes, keys_dir: Path, agency_name: str, reason: str = "案卷导出", location: str = ""
) -> bytes:
    """PAdES B-B signature over the whole dossier (pyHanko runs its own event loop: use a thread)."""
    key_path, cert_path = load_or_create(keys_dir, agency_name)
    return await asyncio.to_thread(_sign, pdf, key_path, cert_path, reason, location)
