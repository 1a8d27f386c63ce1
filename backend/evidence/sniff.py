"""Type sniffing: what an upload's bytes really are, checked against what the client declared.

Structure decides first: a file that starts like a JPEG, PNG, WebP or TIFF and whose header
Pillow parses is that image; an ISO-BMFF file (`ftyp`: HEIC photos, MP4/MOV recordings) is told
by its brands and opened by its parser (pillow_heif, PyAV); WebM/Matroska and Ogg by their
headers and PyAV. Signature guessing (puremagic) only breaks ties for formats with no structure
checked here: its confidence ranks any 4-byte match at any offset, and camera EXIF layouts put
such bytes where they please (`04 00 00 00` at 524 outranks JPEG as a Windows Thumbs.db).
Audio versus video in WebM/MP4/Ogg is decided by the streams. Polyglots are refused with a
reason a reviewer can follow.
"""

from __future__ import annotations

import mmap
import re
import struct
from pathlib import Path

import pillow_heif
import puremagic
from PIL import Image

from backend.evidence.media_probe import MediaUnreadable, probe

ALLOWED_BY_KIND: dict[str, frozenset[str]] = {
    "photo": frozenset({"image/jpeg", "image/png", "image/webp", "image/heic"}),
    "audio": frozenset({"audio/webm", "audio/ogg", "audio/mp4", "audio/mpeg", "audio/wav"}),
    "video": frozenset({"video/webm", "video/mp4", "video/quicktime"}),
    "document": frozenset({"application/pdf"}),
}

_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/heif": "image/heic",
    "audio/wave": "audio/wav",
    "audio/x-wav": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/mp3": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "application/ogg": "audio/ogg",
}

# Containers browsers record both audio and video into: (audio type, video type).
_AV_FAMILIES = {
    "audio/webm": ("audio/webm", "video/webm"),
    "video/webm": ("audio/webm", "video/webm"),
    "audio/mp4": ("audio/mp4", "video/mp4"),
    "video/mp4": ("audio/mp4", "video/mp4"),
    "audio/ogg": ("audio/ogg", "video/ogg"),
    "video/ogg": ("audio/ogg", "video/ogg"),
}

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"heif"}
_AVIF_BRANDS = {b"avif", b"avis"}
_AUDIO_MP4_BRANDS = {b"M4A ", b"M4B ", b"M4P "}

# Signatures that mark a second file hidden after an image's end.
_SECOND_FILE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "ZIP archive"),
    (b"%PDF-", "PDF document"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x1f\x8b", "gzip stream"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"<?php", "PHP script"),
    (b"<script", "HTML script"),
    (b"<html", "HTML document"),
    (b"<svg", "SVG document"),
)
_ZIP_EOCD = b"PK\x05\x06"
_ZIP_EOCD_SIZE = 22
_ZIP_MAX_COMMENT = 0xFFFF


class TypeMismatch(ValueError):
    """The upload's bytes do not match its declared, allowed type.

    `reason` is one of `empty`, `unknown`, `unreadable`, `truncated`, `mismatch`, `not_allowed`,
    `polyglot`. `truncated` means the bytes are of their type but end early (a recording cut off
    while copying): the sender needs to send the whole file, not another type.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


def normalize_mime(mime: str) -> str:
    """`Audio/WebM; codecs=opus` -> `audio/webm`, with common aliases folded in."""
    base = mime.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def sniff(path: Path) -> str:
    """The MIME type of the file's bytes; raises TypeMismatch when it cannot be told."""
    size = path.stat().st_size
    if size == 0:
        raise TypeMismatch("empty", f"{path.name} has no bytes")
    with open(path, "rb") as fh:
        head = fh.read(512)
    try:
        mime = _by_structure(path, head) or _magic_mime(path)
    except TypeMismatch:
        text = _text_mime(path)
        if text is None:
            raise
        return text
    if mime in _AV_FAMILIES or mime == "video/quicktime":
        mime = _by_streams(path, mime)
    return mime


def check_type(
    path: Path,
    declared_mime: str,
    allowed: set[str] | frozenset[str],
    end: int | None = None,
) -> str:
    """Return the sniffed MIME type when it equals the declared one, is allowed and is no polyglot.

    `end` is where the caller's own `image_extent` walk of the declared type ended (None: walk
    here). Raises TypeMismatch otherwise.
    """
    sniffed = sniff(path)
    declared = normalize_mime(declared_mime)
    if sniffed in _SAME_CONTAINER and declared in _SAME_CONTAINER[sniffed]:
        sniffed = declared
    if sniffed != declared:
        raise TypeMismatch("mismatch", f"declared {declared}, but the bytes are {sniffed}")
    if sniffed not in {normalize_mime(m) for m in allowed}:
        raise TypeMismatch("not_allowed", f"{sniffed} is not allowed here")
    evidence = polyglot_evidence(path, sniffed, end)
    if evidence:
        raise TypeMismatch("polyglot", evidence)
    return sniffed


def polyglot_evidence(path: Path, mime: str, end: int | None = None) -> str | None:
    """Say why the file is also another file, or None.

    Two tests: a ZIP end-of-central-directory record that ends the file (what makes any file
    open as a ZIP), and, for photos, a known file signature right after the image's own end.
    """
    size = path.stat().st_size
    if size == 0:
        return None
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        eocd = _zip_eocd_offset(data)
        if eocd is not None:
            return f"a ZIP end-of-central-directory record ends the file (byte {eocd})"
        if end is None:
            end = image_end(data, mime)
        if end is None or end >= size:
            return None
        trailing = data[end : end + 4096]
        padding = len(trailing) - len(trailing.lstrip(b"\x00\r\n\t "))
        start = trailing[padding:]
        for signature, name in _SECOND_FILE_SIGNATURES:
            if start.startswith(signature):
                return f"a {name} follows the image end (byte {end + padding})"
        if trailing[4:8] == b"ftyp":
            return f"an ISO-BMFF file (MP4/HEIC) follows the image end (byte {end})"
        if data.find(b"PK\x03\x04", end) != -1:
            return f"a ZIP local file header lies after the image end (byte {end})"
    return None


# MP4 grew out of QuickTime: one box structure, one demuxer. Recorders and phones name either
# one `.MOV` or `.MP4` whatever brand they wrote, so the declared name of the two is kept.
_SAME_CONTAINER = {
    "video/mp4": frozenset({"video/quicktime"}),
    "video/quicktime": frozenset({"video/mp4"}),
}
_GENERIC = {"application/octet-stream", ""}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


def _by_structure(path: Path, head: bytes) -> str | None:
    """The type the file's own structure proves, or None when no structure checked here fits."""
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg" if _pillow_parses(path, "JPEG") else None
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png" if _pillow_parses(path, "PNG") else None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp" if _pillow_parses(path, "WEBP") else None
    if head[:4] in _TIFF_MAGIC:
        return "image/tiff" if _pillow_parses(path, "TIFF") else None
    if head[4:8] == b"ftyp":
        mime = _iso_bmff_mime(head)
        if mime in ("image/heic", "image/avif") and not _heif_parses(path):
            return None
        return mime
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return _ebml_mime(head)
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:5] == b"%PDF-":
        return "application/pdf"
    return None


def _pillow_parses(path: Path, fmt: str) -> bool:
    """Pillow reads the header (format and size) without decoding a pixel."""
    try:
        with Image.open(path, formats=(fmt,)) as im:
            return im.width > 0 and im.height > 0
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError... on bad headers
        return False


def _heif_parses(path: Path) -> bool:
    try:
        pillow_heif.open_heif(path, convert_hdr_to_8bit=False)
    except (ValueError, RuntimeError, OSError):
        return False
    return True


def _ebml_mime(head: bytes) -> str | None:
    # The EBML header names its DocType ("webm" or "matroska") in element 0x4282.
    at = head.find(b"\x42\x82")
    if at == -1 or at + 3 > len(head) or not head[at + 2] & 0x80:
        return None
    doctype = head[at + 3 : at + 3 + (head[at + 2] & 0x7F)]
    if doctype == b"webm":
        return "video/webm"
    if doctype == b"matroska":
        return "video/x-matroska"
    return None


def _magic_mime(path: Path) -> str:
    try:
        matches = puremagic.magic_file(path)
    except (puremagic.PureError, ValueError) as exc:
        raise TypeMismatch("unknown", f"{path.name}: bytes match no known type") from exc
    # A generic "octet-stream" match names no type; it never outranks one that does.
    best = next((m for m in matches if m.mime_type not in _GENERIC), None)
    if best is None:
        raise TypeMismatch("unknown", f"{path.name}: bytes match no known type")
    return normalize_mime(best.mime_type)


_MARKUP = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*<[a-zA-Z!?/]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_TEXT_SNIFF_BYTES = 1 << 20


def _text_mime(path: Path) -> str | None:
    """`text/plain` for UTF-8 text, `text/html` for text that opens with markup, else None.

    Plain text has no magic bytes. Markup is called HTML whatever it declares: a browser that
    sniffs would render it, so it must never pass as a harmless text file.
    """
    with open(path, "rb") as fh:
        head = fh.read(_TEXT_SNIFF_BYTES)
    if _CONTROL.search(head):
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as bad:
        # A multi-byte character cut by the read limit is still text.
        if bad.start < len(head) - 3 or len(head) < _TEXT_SNIFF_BYTES:
            return None
    return "text/html" if _MARKUP.match(head) else "text/plain"


def _iso_bmff_mime(head: bytes) -> str:
    box_size = struct.unpack(">I", head[:4])[0]
    ftyp = head[8 : max(16, min(box_size, len(head)))]
    major = ftyp[:4]
    brands = {major} | {ftyp[i : i + 4] for i in range(8, len(ftyp) - 3, 4)}
    if major in _HEIF_BRANDS or (major in {b"mif1", b"msf1"} and brands & _HEIF_BRANDS):
        return "image/heic"
    if major in _AVIF_BRANDS or (major in {b"mif1", b"msf1"} and brands & _AVIF_BRANDS):
        return "image/avif"
    if major == b"qt  ":
        return "video/quicktime"
    if major in _AUDIO_MP4_BRANDS:
        return "audio/mp4"
    return "video/mp4"


def _by_streams(path: Path, mime: str) -> str:
    try:
        info = probe(path)
    except MediaUnreadable as exc:
        if mime in _ISO_BMFF_AV and iso_bmff_truncated(path):
            raise TypeMismatch("truncated", f"{mime} ends inside a box: {exc}") from exc
        raise TypeMismatch("unreadable", f"{mime} container does not open: {exc}") from exc
    if mime not in _AV_FAMILIES:
        return mime
    audio_type, video_type = _AV_FAMILIES[mime]
    return video_type if info.has_video else audio_type


_ISO_BMFF_AV = frozenset({"video/mp4", "audio/mp4", "video/quicktime"})


def iso_bmff_truncated(path: Path) -> bool:
    """True when a top-level box of an ISO-BMFF file claims more bytes than the file has."""
    size = path.stat().st_size
    pos = 0
    with open(path, "rb") as fh:
        while pos + 8 <= size:
            fh.seek(pos)
            header = fh.read(16)
            box_size = struct.unpack(">I", header[:4])[0]
            if box_size == 1 and len(header) >= 16:
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:
                return False  # the last box runs to the end of the file by definition
            if box_size < 8:
                return False  # not a box structure at all: damaged, not cut short
            if pos + box_size > size:
                return True
            pos += box_size
    return 0 < size - pos < 8


def _zip_eocd_offset(data: mmap.mmap) -> int | None:
    size = len(data)
    window_start = max(0, size - _ZIP_EOCD_SIZE - _ZIP_MAX_COMMENT)
    pos = data.rfind(_ZIP_EOCD, window_start)
    while pos != -1:
        if pos + _ZIP_EOCD_SIZE <= size:
            comment_length = struct.unpack("<H", data[pos + 20 : pos + 22])[0]
            # Random media bytes contain "PK\5\6" now and then; a real record's comment
            # length points exactly at the end of the file.
            if pos + _ZIP_EOCD_SIZE + comment_length == size:
                return pos
        pos = data.rfind(_ZIP_EOCD, window_start, pos)
    return None


def image_extent(path: Path, mime: str) -> int | None:
    """`image_end` of a file: None for a type with no structure walked here, or an empty file."""
    if mime not in _WALKED or path.stat().st_size == 0:
        return None
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return image_end(data, mime)


_WALKED = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic"})


def image_end(data: mmap.mmap, mime: str) -> int | None:
    """Offset just past the image's own data, or None when the structure cannot be walked."""
    if mime == "image/jpeg":
        return _jpeg_end(data)
    if mime == "image/png":
        return _png_end(data)
    if mime == "image/webp" and len(data) >= 8:
        riff_size = struct.unpack("<I", data[4:8])[0]
        return 8 + riff_size + (riff_size & 1)
    if mime == "image/heic":
        return _iso_bmff_end(data)
    return None


_JPEG_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


def _jpeg_end(data: mmap.mmap) -> int | None:
    return _jpeg_walk(data)[0]


def jpeg_walk_failure(path: Path) -> str | None:
    """Why the marker walk of a JPEG does not reach its end-of-image marker, or None.

    `truncated`: the bytes end first (a file cut short); `bad_marker`: a byte that cannot be a
    marker stands where one must (damage inside the file, often in its compressed data).
    """
    if path.stat().st_size == 0:
        return "truncated"
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end, failure = _jpeg_walk(data)
    return None if end is not None else failure


_JPEG_RESYNC = re.compile(rb"\xff(?=[\xc0-\xfe])")


def _jpeg_walk(data: mmap.mmap) -> tuple[int | None, str]:
    size = len(data)
    pos = 2
    in_scan_data = False  # the last segment was a scan: its entropy-coded data just ended
    while pos + 1 < size:
        marker = data[pos + 1] if data[pos] == 0xFF else None
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker is None or (marker < 0xC0 and marker != 0x01):
            if in_scan_data:
                # Inside compressed data 0xFF may only be followed by 0x00 or a restart
                # marker: anything else is damage in the picture itself.
                return None, "bad_marker"
            # Between segments, decoders (libjpeg, so Pillow and every phone gallery) skip
            # extraneous bytes up to the next marker; some cameras and editors write them.
            found = _JPEG_RESYNC.search(data, pos + 1)
            if found is None:
                return None, "truncated"
            pos = found.start()
            continue
        in_scan_data = False
        if marker == 0xD9:  # end of image
            return pos + 2, ""
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 4 > size:
            return None, "truncated"
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker == 0xDA:
            # Entropy-coded data follows the scan header; inside it 0xFF is followed by
            # 0x00 (stuffing) or a restart marker, anything else is the next real marker.
            # The regex finds it in C: a Python loop over every 0xFF costs milliseconds.
            found = _JPEG_NEXT_MARKER.search(data, pos)
            if found is None:
                return None, "truncated"
            pos = found.start()
            in_scan_data = True
    return None, "truncated"


def _png_end(data: mmap.mmap) -> int | None:
    size = len(data)
    pos = 8
    while pos + 8 <= size:
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        chunk_type = data[pos + 4 : pos + 8]
        pos += 12 + length
        if chunk_type == b"IEND":
            return pos
    return None


def _iso_bmff_end(data: mmap.mmap) -> int | None:
    size = len(data)
    pos = 0
    while pos + 8 <= size:
        box_size = struct.unpack(">I", data[pos : pos + 4])[0]
        if box_size == 1 and pos + 16 <= size:
            box_size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif box_size == 0:
            return size
        if box_size < 8 or pos + box_size > size:
            return pos  # what follows is not a box of this file
        pos += box_size
    return pos
