"""Files shaped like the real-world media that tripped the checks, made in the test (PIL, PyAV).

Each maker reproduces one trait seen on real cameras, phones and recorders: the bytes are ours,
the layout is theirs.
"""

from __future__ import annotations

import io
import struct
from datetime import datetime
from pathlib import Path

from PIL import ExifTags, Image

from tests.recorder_files import make_recording, record

THUMBS_DB_AT = 524  # puremagic's Windows Thumbs.db signature: 04 00 00 00 at this offset
THUMBS_DB = b"\x04\x00\x00\x00"


def jpeg_like_thumbs_db(taken: str | None = None) -> bytes:
    """A camera JPEG (EXIF APP1 first, no JFIF) whose maker note puts 04 00 00 00 at byte 524.

    The Nikon compact and Xiaomi phones of issue 17 have this layout in every photo.
    """
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "NIKON"
    exif[ExifTags.Base.Model] = "COOLPIX P950"
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.MakerNote] = b"Nikon\x00\x02" + b"\x11" * 900
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (70, 90, 110)).save(out, "JPEG", exif=exif)
    data = bytearray(out.getvalue())
    if data[2:4] == b"\xff\xe0":  # drop Pillow's JFIF segment: cameras start with APP1
        del data[2 : 4 + struct.unpack(">H", data[4:6])[0]]
    start = data.find(b"\x11" * 16)
    assert start < THUMBS_DB_AT and data[THUMBS_DB_AT : THUMBS_DB_AT + 4] == b"\x11" * 4
    data[THUMBS_DB_AT : THUMBS_DB_AT + 4] = THUMBS_DB
    return bytes(data)


def webm_like_thumbs_db(path: Path) -> Path:
    """A browser-style WebM whose padding (an EBML Void element) holds 04 00 00 00 at byte 524."""
    record(path, "webm", "libvpx", "libopus")
    data = path.read_bytes()
    header_end = 5 + (data[4] & 0x7F)  # EBML header: ID (4 bytes) + 1-byte size + body
    void_size = THUMBS_DB_AT + 64 - header_end - 9  # ID 0xEC + 8-byte size
    body = bytearray(void_size)
    at = THUMBS_DB_AT - header_end - 9
    body[at : at + 4] = THUMBS_DB
    void = b"\xec" + bytes([0x01]) + void_size.to_bytes(7, "big") + bytes(body)
    path.write_bytes(data[:header_end] + void + data[header_end:])
    return path


def phone_photo(taken_local: datetime, software: str | None = None) -> bytes:
    """A phone JPEG as Chinese phones write it: local DateTimeOriginal, no OffsetTimeOriginal."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Xiaomi", "23127PN0CC"
    if software:  # Chinese apps write UTF-8 into the ASCII-typed tag; Pillow would write "?"
        exif[ExifTags.Base.Software] = software if software.isascii() else software.encode()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken_local.strftime(
        "%Y:%m:%d %H:%M:%S"
    )
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 200)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def tiff_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(out, "TIFF")
    return out.getvalue()


def truncated_mp4(path: Path) -> bytes:
    """A recording cut off while copying: it ends inside its media data, before the moov box."""
    data = make_recording(path, None).read_bytes()
    return data[: len(data) // 2]


def mp4_with_absurd_duration(path: Path) -> bytes:
    """An MP4 whose track headers claim 2^32-1 ticks (what some recorders write after a crash)."""
    data = bytearray(make_recording(path, None).read_bytes())
    tkhd = data.find(b"tkhd")
    data[tkhd + 24 : tkhd + 28] = b"\xff\xff\xff\xff"  # v0: flags, ctime, mtime, id, reserved
    mdhd = data.find(b"mdhd")
    data[mdhd + 20 : mdhd + 24] = b"\xff\xff\xff\xff"  # v0: flags, ctime, mtime, timescale
    return bytes(data)


def jpeg_with_bad_marker() -> bytes:
    """A JPEG whose compressed data holds FF 02, a marker no encoder writes (a flipped byte)."""
    out = io.BytesIO()
    Image.effect_noise((128, 96), 60).convert("RGB").save(out, "JPEG", quality=90)
    data = bytearray(out.getvalue())
    scan = data.find(b"\xff\xda")
    middle = scan + (len(data) - scan) // 2
    data[middle : middle + 2] = b"\xff\x02"
    return bytes(data)
