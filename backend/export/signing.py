"""The agency's dossier seal and PAdES signing with pyHanko.

The seal is a certificate issued by a configured CA (`CASETRAIL_SEAL_KEY`, `CASETRAIL_SEAL_CERT`,
`CASETRAIL_SEAL_CHAIN`: a court checks it against that CA), else a self-signed one made in
data_dir/keys on first use. With a time-stamp authority configured (`CASETRAIL_TSA_URL`) the
signature carries its token (PAdES B-T), so the moment of sealing does not rest on the holder's
clock; a TSA outage seals without one (B-B) rather than stop an export, and the export says so.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.settings import Settings

KEY_FILE = "dossier-signing.key.pem"
CERT_FILE = "dossier-signing.cert.pem"
log = logging.getLogger("casetrail.export")


@dataclass(frozen=True)
class Seal:
    """How dossiers are sealed: by whose certificate, and time-stamped by whom."""

    keys_dir: Path
    tsa_url: str = ""
    key_file: str = ""  # a CA-issued seal: its key, certificate and the issuing CA's chain
    cert_file: str = ""
    chain_file: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Seal:
        return cls(
            settings.keys_dir,
            settings.tsa_url,
            settings.seal_key,
            settings.seal_cert,
            settings.seal_chain,
        )

    def files(self, agency_name: str) -> tuple[Path, Path, list[Path]]:
        if self.key_file and self.cert_file:
            chain = [Path(self.chain_file)] if self.chain_file else []
            return Path(self.key_file), Path(self.cert_file), chain
        key_path, cert_path = load_or_create(self.keys_dir, agency_name)
        return key_path, cert_path, []


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


def _sign(
    pdf: bytes,
    files: tuple[Path, Path, list[Path]],
    reason: str,
    location: str,
    tsa_url: str,
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    key_path, cert_path, chain = files
    signer = signers.SimpleSigner.load(
        str(key_path), str(cert_path), ca_chain_files=[str(c) for c in chain] or None
    )
    if signer is None:
        raise ValueError(f"cannot load the seal key {key_path} and certificate {cert_path}")
    meta = signers.PdfSignatureMetadata(
        field_name="CaseTrailDossier",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    out = io.BytesIO()
    stamper = timestamps.HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        meta,
        signer=signer,
        timestamper=stamper,
        output=out,
    )
    return out.getvalue()


async def sign_pdf(
    pdf: bytes, seal: Seal, agency_name: str, reason: str = "案卷导出", location: str = ""
) -> tuple[bytes, str]:
    """The sealed PDF and its PAdES level: B-T with a time-stamp token, else B-B.

    pyHanko runs its own event loop (and the TSA request): it runs in a thread.
    """
    files = seal.files(agency_name)
    if seal.tsa_url:
        try:
            return await asyncio.to_thread(_sign, pdf, files, reason, location, seal.tsa_url), "B-T"
        except Exception as failed:  # noqa: BLE001 - any TSA failure: seal without a token
            log.warning(
                "time-stamp authority unavailable; dossier sealed without a token: %s", failed
            )
    return await asyncio.to_thread(_sign, pdf, files, reason, location, ""), "B-B"
