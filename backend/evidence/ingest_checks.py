"""Checking a finished upload's bytes: is this file acceptable at all?

When the last byte of an upload arrives, `inspect_upload` decides (type sniffed vs declared vs
kind, no polyglot, safe decode, sane EXIF, readable audio/video); a refusal here means nothing is
stored. Every file anyone sends in (officers' uploads, parties' attachments) passes `check_file`.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from backend.errors import CaseTrailError, UnsupportedMedia
from backend.evidence.content_credentials import read_credentials
from backend.evidence.exif_check import ExifInvalid, read_exif, refuse_absurd
from backend.evidence.image_safety import (
    MAX_IMAGE_PIXELS,
    UnsafeImage,
    decode_slot,
    open_image_safely,
)
from backend.evidence.media_probe import MediaUnreadable, probe
from backend.evidence.refusals import refusal
from backend.evidence.sniff import (
    TypeMismatch,
    check_type,
    image_extent,
    jpeg_walk_failure,
    normalize_mime,
)
from backend.evidence.uploads import MEDIA_TYPES, Upload
from backend.ledger.entry import utc_iso


class Unprocessable(CaseTrailError):
    """The bytes are of the declared type but cannot be safely used (bomb, truncated, absurd)."""

    status, code = 422, "unprocessable_media"


def inspect_file(path: Path, media_type: str, kind: str, received_at: datetime) -> dict[str, Any]:
    """What the bytes of an upload of `kind` are, checked; raises UnsupportedMedia or Unprocessable."""
    return check_file(path, media_type, MEDIA_TYPES[kind], received_at)


def check_file(
    path: Path, media_type: str, allowed: frozenset[str], received_at: datetime
) -> dict[str, Any]:
    """What the bytes are, checked against `allowed` types; raises UnsupportedMedia (415) or
    Unprocessable (422). Every file anyone sends in (officers' uploads, parties' attachments)
    passes here."""
    # One walk of the image's structure serves the polyglot check and the truncation check: on a
    # multi-megabyte JPEG it is the costliest check, and it holds the GIL throughout.
    end = image_extent(path, normalize_mime(media_type))
    try:
        sniffed = check_type(path, media_type, allowed, end)
    except TypeMismatch as bad:
        if bad.reason == "truncated":  # the right type, cut short: send it whole, not another
            raise refusal(Unprocessable, "truncated_media", bad) from bad
        raise refusal(UnsupportedMedia, "type_mismatch", bad, bad.reason, media_type) from bad
    facts: dict[str, Any] = {"media_type": sniffed, "size": path.stat().st_size}
    if sniffed.startswith("image/"):
        try:
            facts["image"] = check_image(path, sniffed, end)
        except UnsafeImage as bad:
            raise refusal(Unprocessable, "unsafe_image", bad, bad.reason) from bad
        try:
            exif = read_exif(path)
            refuse_absurd(exif, received_at)
        except ExifInvalid as bad:
            raise refusal(Unprocessable, "absurd_exif", bad) from bad
        facts["exif"] = exif.to_json()
        _add_credentials(facts, path, sniffed)
    elif sniffed.startswith(("audio/", "video/")):
        try:
            info = probe(path)
        except MediaUnreadable as bad:
            raise refusal(Unprocessable, "unreadable_media", bad) from bad
        duration = info.duration_s
        facts["media"] = {
            "duration_s": duration if plausible_duration(duration) else None,
            "container": info.container,
            "video_codec": info.video_codec,
            "audio_codec": info.audio_codec,
            "width": info.width,
            "height": info.height,
            "created_at": utc_iso(info.created_at) if info.created_at else None,
            "has_video": info.has_video,
            "has_audio": info.has_audio,
        }
        if not plausible_duration(duration):
            finite = duration is not None and math.isfinite(duration)
            facts["media"]["header_duration_s"] = duration if finite else None
        _add_credentials(facts, path, sniffed)
    return facts


def _add_credentials(facts: dict[str, Any], path: Path, mime: str) -> None:
    credentials = read_credentials(path, mime)
    if credentials is not None:
        facts["c2pa"] = credentials.to_json()


MAX_PLAUSIBLE_DURATION_S = 7 * 24 * 3600  # a body camera's battery lasts hours, not a week


def plausible_duration(duration_s: float | None) -> bool:
    """False for a header duration no recording has: zero, negative, NaN, over a week.

    Such a file still plays (the frames are there); its header is wrong, which is a finding,
    and `duration_s` is then left unknown rather than stored as 0. No duration at all is
    plausible: browsers' WebM recordings are written before their length is known.
    """
    if duration_s is None:
        return True
    return math.isfinite(duration_s) and 0 < duration_s <= MAX_PLAUSIBLE_DURATION_S


def check_image(path: Path, mime: str, end: int | None = None) -> dict[str, int]:
    """Width and height of a photo that is safe to decode later, or UnsafeImage.

    A JPEG is checked without decoding its pixels (a full decode is most of the cost of ingesting
    a photo): Pillow reads the header (format, size) under the pixel limit, and the marker walk
    must reach the end-of-image marker, so a bomb or a truncated file is refused here, before any
    entry is appended. The pixels are decoded by the thumbnail job after the entry (where a
    corrupt scan only costs the thumbnail). Other formats are decoded in full now. `end` is where
    an `image_extent` walk of this file already ended (None: walk here).
    """
    if mime != "image/jpeg":
        with decode_slot(), open_image_safely(path) as im:
            return {"width": im.width, "height": im.height}
    try:
        with Image.open(path, formats=("JPEG",)) as im:
            width, height = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnsafeImage("bomb", str(exc)) from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... on bad headers
        raise UnsafeImage("undecodable", f"{type(exc).__name__}: {exc}") from exc
    if width * height > MAX_IMAGE_PIXELS:
        raise UnsafeImage("bomb", f"{width}x{height} is over the {MAX_IMAGE_PIXELS} pixel limit")
    if end is None and image_extent(path, mime) is None:
        failure = jpeg_walk_failure(path) or "truncated"
        if failure == "bad_marker":
            raise UnsafeImage("bad_marker", "a byte that is no JPEG marker stands where one must")
        raise UnsafeImage("truncated", "the JPEG ends before its end-of-image marker")
    return {"width": width, "height": height}


async def inspect_upload(path: Path, upload: Upload) -> dict[str, Any]:
    """UploadStore hook: the content checks, off the event loop."""
    return await asyncio.to_thread(
        inspect_file, path, upload.media_type, upload.kind, datetime.now(UTC)
    )


async def check_bytes(
    data: bytes, media_type: str, allowed: frozenset[str], tmp_dir: Path
) -> dict[str, Any]:
    """`check_file` for a file received whole in a form (a party's attachment)."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="check-") as f:
        f.write(data)
        f.flush()
        return await asyncio.to_thread(
            check_file, Path(f.name), media_type, allowed, datetime.now(UTC)
        )
