"""Stories for decoding uploaded photos safely and making copies fit for public pages."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import exifread
import pytest
from PIL import ExifTags, Image, ImageCms

import backend.evidence.image_safety as image_safety
from backend.evidence.image_safety import (
    UnsafeImage,
    decoded_bytes,
    make_public_copy,
    make_thumbnail,
    open_image_safely,
)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, rows: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def tagged_photo(path: Path, size=(120, 80), orientation: int | None = None) -> Path:
    im = Image.new("RGB", size, (220, 20, 20))
    im.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))  # right half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Xiaomi"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 31.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 51.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret>home address</secret></x:xmpmeta>'
    im.save(path, "JPEG", exif=exif, icc_profile=srgb, comment=b"officer note", xmp=xmp)
    return path


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_phone_photo_in_each_accepted_format_decodes(tmp_path, fmt):
    path = tmp_path / f"photo.{fmt.lower()}"
    Image.new("RGB", (64, 48), (10, 200, 30)).save(path, fmt)

    with open_image_safely(path) as im:
        assert im.size == (64, 48)


@pytest.mark.parametrize("side", [50_000, 9_000])
def test_decompression_bomb_is_refused_before_decoding(tmp_path, side):
    # 9000² = 81 MP sits between the limit and Pillow's own hard error: a warning made an error.
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(side, side, b"\x00" * 16))

    with pytest.raises(UnsafeImage) as raised:
        open_image_safely(path)
    assert raised.value.reason == "bomb"


def test_smaller_limit_from_settings_is_honoured(tmp_path):
    path = tmp_path / "photo.png"
    Image.new("RGB", (100, 100)).save(path)

    with pytest.raises(UnsafeImage, match="bomb"):
        open_image_safely(path, max_pixels=5_000)


def test_upload_cut_off_halfway_is_truncated(tmp_path):
    whole = tmp_path / "whole.jpg"
    Image.effect_noise((400, 300), 60).convert("RGB").save(whole, "JPEG")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])

    with pytest.raises(UnsafeImage) as raised:
        open_image_safely(cut)
    assert raised.value.reason == "truncated"


def test_png_whose_header_claims_more_pixels_than_it_holds_is_refused(tmp_path):
    path = tmp_path / "liar.png"
    rows = b"".join(b"\x00" + b"\x80" * 30 for _ in range(10))  # data for 10x10 only
    path.write_bytes(png_claiming(100, 100, rows))

    with pytest.raises(UnsafeImage) as raised:
        open_image_safely(path)
    assert raised.value.reason == "truncated"


@pytest.mark.parametrize("content", ["zip", "empty", "pdf"])
def test_non_photo_bytes_are_undecodable(tmp_path, content):
    path = tmp_path / "photo.jpg"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.txt", "hello")
    elif content == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(b"%PDF-1.4\n%%EOF\n")

    with pytest.raises(UnsafeImage) as raised:
        open_image_safely(path)
    assert raised.value.reason == "undecodable"
    assert isinstance(raised.value, ValueError)


def test_thumbnail_is_small_upright_jpeg(tmp_path):
    # Orientation 6: the sensor image must turn 90° clockwise, so its left (red) half goes on top.
    source = tagged_photo(tmp_path / "sideways.jpg", size=(1200, 800), orientation=6)
    out = tmp_path / "thumb.jpg"

    size = make_thumbnail(source, out)

    assert size == (320, 480)
    with Image.open(out) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (320, 480)
        red, _, blue = thumb.getpixel((160, 40))
        assert red > 150 and blue < 100
        red, _, blue = thumb.getpixel((160, 440))
        assert blue > 150 and red < 100


def test_public_copy_carries_no_location_or_other_metadata(tmp_path):
    source = tagged_photo(tmp_path / "scene.jpg", orientation=6)
    with open(source, "rb") as fh:
        assert "GPS GPSLatitude" in exifread.process_file(fh, details=False)
    out = tmp_path / "public.jpg"

    make_public_copy(source, out)

    with open(out, "rb") as fh:
        assert not [k for k in exifread.process_file(fh, details=False) if k.startswith("GPS")]
        fh.seek(0)
        assert exifread.process_file(fh, details=False) == {}
    data = out.read_bytes()
    for marker in (b"xmpmeta", b"home address", b"ICC_PROFILE", b"officer note", b"Exif\x00\x00"):
        assert marker not in data
    with Image.open(out) as copy:
        assert copy.size == (80, 120)  # turned upright before the orientation tag was dropped
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(copy.info)


def test_public_copy_of_heic_photo_is_a_plain_jpeg(tmp_path):
    source = tmp_path / "iphone.heic"
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 31.0)
    Image.new("RGB", (64, 48), (5, 5, 5)).save(source, "HEIF", exif=exif.tobytes())
    out = tmp_path / "public.jpg"

    make_public_copy(source, out)

    with open(out, "rb") as fh:
        assert exifread.process_file(fh, details=False) == {}
    with Image.open(out) as copy:
        assert (copy.format, copy.size) == ("JPEG", (64, 48))


@pytest.mark.parametrize(
    ("mode", "per_pixel"), [("L", 1), ("I;16", 2), ("LA", 4), ("RGB", 4), ("RGBA", 4), ("I", 4)]
)
def test_the_decode_estimate_counts_bytes_as_pillow_stores_them(mode, per_pixel):
    # Pillow keeps three- and two-band images in four bytes a pixel, so RGB counts as RGBA.
    assert decoded_bytes(mode, (7700, 7700)) == 7700 * 7700 * per_pixel


def test_an_image_over_the_decode_memory_cap_is_refused_from_its_header(tmp_path, monkeypatch):
    path = tmp_path / "flat.png"
    Image.new("RGB", (1000, 1000), (9, 9, 9)).save(path)  # 4 MB once decoded

    def never(im: Image.Image) -> None:
        raise AssertionError("decoded an image over the cap")

    monkeypatch.setattr(image_safety, "_decode", never)
    with pytest.raises(UnsafeImage) as refused:
        open_image_safely(path, max_bytes=3_000_000)
    assert refused.value.reason == "bomb"


def test_a_large_sideways_photo_with_transparency_shrinks_upright_onto_white(tmp_path):
    # A palette PNG with a transparent top half and orientation 6: shrunk strip by strip, then
    # turned, so the transparent (now white) half ends up on the right.
    im = Image.new("P", (3000, 2000), 1)
    im.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    im.paste(0, (0, 0, 3000, 1000))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    source = tmp_path / "sideways.png"
    im.save(source, transparency=0, exif=exif)
    out = tmp_path / "thumb.jpg"

    assert make_thumbnail(source, out) == (320, 480)

    with Image.open(out) as thumb:
        assert min(thumb.getpixel((300, 240))) > 240  # transparent: white
        red, green, _ = thumb.getpixel((20, 240))
        assert red > 150 and green < 80
