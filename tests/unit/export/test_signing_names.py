"""The dossier's signing certificate is made for agencies whose full Chinese names are long."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from backend.export.signing import load_or_create, name_part


def test_a_long_agency_name_still_gets_a_signing_certificate(tmp_path) -> None:
    _, cert_path = load_or_create(tmp_path, "衡阳市蒸湘区人力资源和社会保障局")
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common.startswith("衡阳市蒸湘区人力资源和社会保障局")
    assert len(common.encode()) <= 64


def test_names_are_cut_between_characters_never_inside_one() -> None:
    assert name_part("短名") == "短名"
    assert name_part("局" * 30) == "局" * 21  # 3 bytes each: 63 of the 64
