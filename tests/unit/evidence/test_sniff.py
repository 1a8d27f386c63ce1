"""Stories for telling what an upload really is, whatever the client declared."""

from __future__ import annotations

import zipfile
from pathlib import Path

import av
import pillow_heif
import puremagic
import pytest
from PIL import Image

from backend.evidence.sniff import (
    ALLOWED_BY_KIND,
    TypeMismatch,
    check_type,
    jpeg_walk_failure,
    sniff,
)
from tests.real_world_media import (
    jpeg_like_thumbs_db,
    jpeg_with_bad_marker,
    tiff_photo,
    truncated_mp4,
    webm_like_thumbs_db,
)
from tests.recorder_files import make_recording, record

pillow_heif.register_heif_opener()


def photo(path: Path, fmt: str) -> Path:
    Image.new("RGB", (64, 48), (10, 200, 30)).save(path, fmt)
    return path


def zip_bytes(tmp_path: Path) -> bytes:
    archive_path = tmp_path / "payload.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("run.sh", "echo hidden")
    return archive_path.read_bytes()


VIDEO = "libx264" if "libx264" in av.codecs_available else "mpeg4"
GENUINE = [
    ("photo", "image/jpeg", lambda p: photo(p / "a.jpg", "JPEG")),
    ("photo", "image/png", lambda p: photo(p / "a.png", "PNG")),
    ("photo", "image/webp", lambda p: photo(p / "a.webp", "WEBP")),
    ("photo", "image/heic", lambda p: photo(p / "a.heic", "HEIF")),
    ("audio", "audio/webm", lambda p: record(p / "a.webm", "webm", None, "libopus")),
    ("audio", "audio/ogg", lambda p: record(p / "a.ogg", "ogg", None, "libopus")),
    ("audio", "audio/mp4", lambda p: record(p / "a.m4a", "mp4", None, "aac")),
    ("audio", "audio/mpeg", lambda p: record(p / "a.mp3", "mp3", None, "libmp3lame")),
    ("audio", "audio/wav", lambda p: record(p / "a.wav", "wav", None, "pcm_s16le")),
    ("video", "video/webm", lambda p: record(p / "v.webm", "webm", "libvpx", "libopus")),
    ("video", "video/mp4", lambda p: record(p / "v.mp4", "mp4", VIDEO, "aac")),
    ("video", "video/quicktime", lambda p: record(p / "v.mov", "mov", VIDEO, "aac")),
]


@pytest.mark.parametrize(("kind", "mime", "make"), GENUINE, ids=[g[1] for g in GENUINE])
def test_genuine_capture_passes_as_declared(tmp_path, kind, mime, make):
    path = make(tmp_path)

    assert sniff(path) == mime
    assert check_type(path, mime, ALLOWED_BY_KIND[kind]) == mime


def test_genuine_pdf_passes_as_a_document(tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    assert check_type(path, "application/pdf", ALLOWED_BY_KIND["document"]) == "application/pdf"


def test_browser_audio_recording_in_webm_is_audio_by_its_streams(tmp_path):
    path = record(tmp_path / "statement.webm", "webm", None, "libopus")

    assert check_type(path, "audio/webm;codecs=opus", ALLOWED_BY_KIND["audio"]) == "audio/webm"
    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "video/webm", ALLOWED_BY_KIND["video"])
    assert raised.value.reason == "mismatch"


def test_zip_renamed_to_jpg_is_refused(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(zip_bytes(tmp_path))

    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "image/jpeg", ALLOWED_BY_KIND["photo"])
    assert raised.value.reason == "mismatch"
    assert isinstance(raised.value, ValueError)


def test_jpeg_declared_as_png_is_refused(tmp_path):
    path = photo(tmp_path / "photo.png", "JPEG")

    with pytest.raises(TypeMismatch, match="declared image/png, but the bytes are image/jpeg"):
        check_type(path, "image/png", ALLOWED_BY_KIND["photo"])


def test_jpeg_with_a_zip_appended_is_a_polyglot(tmp_path):
    path = photo(tmp_path / "photo.jpg", "JPEG")
    path.write_bytes(path.read_bytes() + zip_bytes(tmp_path))

    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "image/jpeg", ALLOWED_BY_KIND["photo"])
    assert raised.value.reason == "polyglot"
    assert "end-of-central-directory" in str(raised.value)


@pytest.mark.parametrize(
    ("fmt", "mime", "tail"),
    [
        ("JPEG", "image/jpeg", b"<?php system($_GET['c']); ?>"),
        ("PNG", "image/png", b"%PDF-1.4 hidden"),
        ("JPEG", "image/jpeg", b"\x00\x00PK\x03\x04zip without its directory"),
    ],
)
def test_second_file_after_the_image_end_is_a_polyglot(tmp_path, fmt, mime, tail):
    path = photo(tmp_path / "photo", fmt)
    path.write_bytes(path.read_bytes() + tail)

    with pytest.raises(TypeMismatch) as raised:
        check_type(path, mime, ALLOWED_BY_KIND["photo"])
    assert raised.value.reason == "polyglot"
    assert "after the image end" in str(raised.value) or "follows the image end" in str(
        raised.value
    )


def test_large_noisy_photo_with_padding_is_no_polyglot(tmp_path):
    path = tmp_path / "big.jpg"
    Image.effect_noise((1600, 1200), 90).convert("RGB").save(path, "JPEG", quality=95)
    path.write_bytes(path.read_bytes() + b"\x00" * 64)

    assert check_type(path, "image/jpeg", ALLOWED_BY_KIND["photo"]) == "image/jpeg"


def test_document_offered_as_a_photo_is_not_allowed(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")

    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "application/pdf", ALLOWED_BY_KIND["photo"])
    assert raised.value.reason == "not_allowed"


@pytest.mark.parametrize(("content", "reason"), [(b"", "empty"), (b"\x13\x37" * 50, "unknown")])
def test_empty_or_unknown_bytes_are_refused(tmp_path, content, reason):
    path = tmp_path / "upload.jpg"
    path.write_bytes(content)

    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "image/jpeg", ALLOWED_BY_KIND["photo"])
    assert raised.value.reason == reason


def test_webm_that_does_not_open_is_refused(tmp_path):
    path = record(tmp_path / "v.webm", "webm", "libvpx", None)
    path.write_bytes(path.read_bytes()[:60])

    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "video/webm", ALLOWED_BY_KIND["video"])
    assert raised.value.reason in {"unreadable", "unknown"}


# -- real-world layouts: structure decides, signature guessing only breaks ties ------------------


def test_camera_jpeg_whose_exif_looks_like_a_thumbs_db_is_a_jpeg(tmp_path):
    path = tmp_path / "DSCN0001"  # uploads are stored without a name to hint at the type
    path.write_bytes(jpeg_like_thumbs_db())
    assert puremagic.magic_file(path)[0].name == "Windows Thumbs.db file"  # the old refusal

    assert sniff(path) == "image/jpeg"
    assert check_type(path, "image/jpeg", ALLOWED_BY_KIND["photo"]) == "image/jpeg"


def test_webm_whose_padding_looks_like_a_thumbs_db_is_a_webm(tmp_path):
    path = webm_like_thumbs_db(tmp_path / "recording")
    assert puremagic.magic_file(path)[0].name == "Windows Thumbs.db file"

    assert check_type(path, "video/webm", ALLOWED_BY_KIND["video"]) == "video/webm"


def test_a_tiff_is_told_as_tiff_and_not_allowed_as_a_photo(tmp_path):
    path = tmp_path / "scan"
    path.write_bytes(tiff_photo())

    assert sniff(path) == "image/tiff"
    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "image/jpeg", ALLOWED_BY_KIND["photo"])
    assert raised.value.reason == "mismatch"


def test_recording_cut_short_is_truncated_not_another_type(tmp_path):
    path = tmp_path / "VID"
    path.write_bytes(truncated_mp4(tmp_path / "whole.mp4"))

    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "video/mp4", ALLOWED_BY_KIND["video"])
    assert raised.value.reason == "truncated"


def test_damaged_mp4_that_is_not_cut_short_stays_unreadable(tmp_path):
    path = tmp_path / "VID"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + b"\x00\x00\x00\x04junk")

    with pytest.raises(TypeMismatch) as raised:
        check_type(path, "video/mp4", ALLOWED_BY_KIND["video"])
    assert raised.value.reason == "unreadable"


def test_body_camera_mp4_named_mov_passes_as_declared(tmp_path):
    path = make_recording(tmp_path / "DSJ_0001.MOV", None)  # an isom-branded MP4

    assert check_type(path, "video/quicktime", ALLOWED_BY_KIND["video"]) == "video/quicktime"
    assert check_type(path, "video/mp4", ALLOWED_BY_KIND["video"]) == "video/mp4"


def test_jpeg_with_a_bad_marker_inside_says_so(tmp_path):
    path = tmp_path / "flipped"
    path.write_bytes(jpeg_with_bad_marker())

    assert jpeg_walk_failure(path) == "bad_marker"
    whole = tmp_path / "cut"
    whole.write_bytes(jpeg_with_bad_marker()[:300])
    assert jpeg_walk_failure(whole) == "truncated"
