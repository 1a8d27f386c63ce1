"""Photos signed with Content Credentials (C2PA) in the test, as a C2PA-signing phone would.

A throwaway certificate chain (root CA and a camera's signing certificate, ES256) is made with
`cryptography`; `c2pa-python` signs locally (no timestamp authority). The chain is in no trust
list, so a genuine signature validates as "Valid", not "Trusted".
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

SIGNER = "Test Phone Camera"
ISSUER = "CaseTrail Test"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ISSUER),
        ]
    )


@cache
def _chain() -> tuple[bytes, bytes]:
    """(PEM certificate chain, PEM private key) of a camera's signing certificate."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("CaseTrail Test Root"))
        .issuer_name(_name("CaseTrail Test Root"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(SIGNER))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + ca.public_bytes(pem)
    private = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return chain, private


def signed_photo(
    captured_at: dt.datetime,
    lat: float | None = None,
    lon: float | None = None,
    edits: tuple[str, ...] = (),
    image: bytes | None = None,
) -> bytes:
    """A JPEG signed with a C2PA manifest: capture time and place, and any edits, as stated."""
    chain, private = _chain()
    when = captured_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    actions: list[dict[str, Any]] = [
        {
            "action": "c2pa.created",
            "when": when,
            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
        }
    ]
    actions += [{"action": a} for a in edits]
    exif: dict[str, Any] = {
        "@context": {
            "exif": "http://ns.adobe.com/exif/1.0/",
            "tiff": "http://ns.adobe.com/tiff/1.0/",
        },
        "tiff:Make": "Leica",
        "tiff:Model": "M11-P",
        "exif:DateTimeOriginal": when,
    }
    if lat is not None and lon is not None:
        exif["exif:GPSLatitude"] = _xmp_gps(lat, "NS")
        exif["exif:GPSLongitude"] = _xmp_gps(lon, "EW")
    manifest = {
        "claim_generator_info": [{"name": "CaseTrail test camera", "version": "1.0"}],
        "title": "L1000001.JPG",
        "format": "image/jpeg",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": "stds.exif", "data": exif},
        ],
    }
    if image is None:
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (40, 80, 120)).save(out, "JPEG")
        image = out.getvalue()
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain, private_key=private, ta_url=None)
    )
    signed = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(image), signed)
    signer.close()
    return signed.getvalue()


def tampered(signed: bytes) -> bytes:
    """The signed photo with one byte of its pixel data changed after signing."""
    data = bytearray(signed)
    scan = data.rfind(b"\xff\xda")  # the image's own scan, after the manifest's thumbnail
    data[scan + 30] ^= 0x55
    return bytes(data)


def _xmp_gps(value: float, refs: str) -> str:
    degrees = int(abs(value))
    minutes = (abs(value) - degrees) * 60
    return f"{degrees},{minutes:.6f}{refs[0] if value >= 0 else refs[1]}"
