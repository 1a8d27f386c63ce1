"""Stories for Content Credentials (C2PA): a signed photo's manifest read, validated, compared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from backend.evidence.content_credentials import (
    credential_findings,
    has_manifest_store,
    read_credentials,
)
from backend.evidence.exif_check import DeviceClaims, Tolerances, read_exif
from tests.content_credentials_files import SIGNER, signed_photo, tampered

TAKEN = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
TIANANMEN = (39.9087, 116.3975)


def claims(at: datetime = TAKEN, lat: float = TIANANMEN[0], lon: float = TIANANMEN[1]):
    return DeviceClaims(
        captured_at=at, clock_offset_ms=0, lat=lat, lon=lon, accuracy_m=10.0, fix_time=at,
        device_id="phone-1",
    )  # fmt: skip


def saved(tmp_path: Path, data: bytes, name: str = "L1000001.JPG") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def codes(found) -> list[str]:
    return [f.code for f in found]


def test_signed_photo_names_its_signer_generator_and_device(tmp_path):
    path = saved(tmp_path, signed_photo(TAKEN, *TIANANMEN))

    credentials = read_credentials(path, "image/jpeg")

    assert credentials is not None and credentials.valid
    assert credentials.state == "Valid"  # a test chain is in no trust list: valid, not trusted
    assert credentials.signer == SIGNER
    assert credentials.claim_generator == "CaseTrail test camera 1.0"
    assert credentials.device == "Leica M11-P"
    assert credentials.edits == []


def test_a_valid_manifest_agreeing_with_the_claim_strengthens_the_photo(tmp_path):
    credentials = read_credentials(saved(tmp_path, signed_photo(TAKEN, *TIANANMEN)), "image/jpeg")

    found = credential_findings(credentials, claims(TAKEN + timedelta(seconds=20)), Tolerances())

    assert codes(found) == ["c2pa_valid", "c2pa_corroborated"]
    assert found[1].detail["distance_m"] < 1


def test_a_manifest_from_elsewhere_or_another_time_confirms_nothing(tmp_path):
    credentials = read_credentials(saved(tmp_path, signed_photo(TAKEN, *TIANANMEN)), "image/jpeg")

    assert codes(credential_findings(credentials, claims(lat=31.23), Tolerances())) == [
        "c2pa_valid"
    ]
    later = claims(TAKEN + timedelta(hours=2))
    assert codes(credential_findings(credentials, later, Tolerances())) == ["c2pa_valid"]


def test_a_photo_changed_after_signing_is_flagged_invalid(tmp_path):
    path = saved(tmp_path, tampered(signed_photo(TAKEN, *TIANANMEN)))

    [finding] = credential_findings(read_credentials(path, "image/jpeg"), claims(), Tolerances())

    assert finding.code == "c2pa_invalid"
    assert finding.detail["signer"] == SIGNER
    assert "assertion.dataHash.mismatch" in finding.detail["failures"]


def test_edits_recorded_in_the_manifest_are_reported(tmp_path):
    data = signed_photo(TAKEN, edits=("c2pa.cropped", "c2pa.color_adjustments"))
    credentials = read_credentials(saved(tmp_path, data), "image/jpeg")

    found = credential_findings(credentials, None, Tolerances())

    assert codes(found) == ["c2pa_valid", "c2pa_edited"]
    assert found[1].detail["actions"] == ["c2pa.color_adjustments", "c2pa.cropped"]


def test_a_broken_manifest_store_is_flagged_not_a_crash(tmp_path):
    data = bytearray(signed_photo(TAKEN))
    store = data.find(b"c2pa")
    data[store + 40 : store + 200] = b"\x00" * 160  # the JUMBF boxes no longer parse
    credentials = read_credentials(saved(tmp_path, bytes(data)), "image/jpeg")

    assert credentials is not None and not credentials.valid
    assert codes(credential_findings(credentials, claims(), Tolerances())) == ["c2pa_invalid"]


def test_photos_without_a_manifest_never_reach_the_library(tmp_path):
    for fmt, mime in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")):
        path = tmp_path / f"plain.{fmt.lower()}"
        Image.new("RGB", (64, 48)).save(path, fmt)
        assert not has_manifest_store(path, mime)
        assert read_credentials(path, mime) is None


def test_a_multi_megabyte_photo_without_a_manifest_has_no_credentials_to_read(tmp_path):
    # How long the EXIF and Content Credentials look takes, scripts/bench_ingest.py prints
    # (exif_c2pa_ms); a test only says what it finds.
    path = tmp_path / "big.jpg"
    Image.effect_noise((2000, 1500), 90).convert("RGB").save(path, "JPEG", quality=95)

    assert read_exif(path) is not None
    assert not has_manifest_store(path, "image/jpeg")
    assert read_credentials(path, "image/jpeg") is None
