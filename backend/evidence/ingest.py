"""Ingest: checking a finished upload's bytes, then finalising it as a media entry with its findings.

Two moments. When the last byte of an upload arrives, `inspect_upload` decides whether the bytes
are acceptable at all (type sniffed vs declared vs kind, no polyglot, safe decode, sane EXIF,
readable audio/video); a refusal there means nothing is stored. When the officer's app finalises
the capture, `finalise_media` compares what the file says with what the device claims, records
findings (which never block), adds the upload deadline, and appends one `media.*` entry,
idempotent on the capture's client id. Derivatives (thumbnail, EXIF-free public copy, video
poster) are separate blobs that name their original, made when first asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from backend.blobstore import BlobStore, local_copy
from backend.cases.capture_time import capture_moment
from backend.errors import CaseTrailError, Conflict, Invalid, NotFound, UnsupportedMedia
from backend.evidence.content_credentials import Credentials, credential_findings, read_credentials
from backend.evidence.deadlines import upload_deadline
from backend.evidence.exif_check import (
    DEFAULT_ZONE,
    DeviceClaims,
    ExifFacts,
    ExifInvalid,
    Finding,
    Tolerances,
    claim_free_findings,
    compare_exif,
    exif_time_aware,
    read_exif,
    refuse_absurd,
)
from backend.evidence.image_safety import (
    DECODE_SLOTS,
    MAX_IMAGE_PIXELS,
    UnsafeImage,
    decode_slot,
    make_public_copy,
    make_thumbnail,
    open_image_safely,
)
from backend.evidence.media_probe import MediaUnreadable, poster_frame, probe
from backend.evidence.refusals import refusal
from backend.evidence.sniff import (
    TypeMismatch,
    check_type,
    image_extent,
    jpeg_walk_failure,
    normalize_mime,
)
from backend.evidence.tables import EvidenceDerivative, EvidenceMedia
from backend.evidence.uploads import MEDIA_TYPES, Upload, UploadStore, media_kind
from backend.ledger import reads
from backend.ledger.entry import Draft, Entry, parse_iso, utc_iso
from backend.ledger.ledger import Ledger, check_claimed, entry_time

log = logging.getLogger("casetrail.evidence")

AV_KINDS = {"photo", "audio", "video"}  # the kinds the pack's upload deadline applies to
CLIENT_FIELDS = (
    "step",
    "for_entry",
    "caption",
    "av_session",
    "step_started_at",
    "remote_area_return_at",
    "remote_area_reason",
    "strokes",
    "signer",
    "confidentiality",  # secret / business_secret / privacy: the v2 media schemas' enum
)
VARIANTS = ("thumbnail", "public", "poster")
THUMBNAIL_SIDE = 480
# Derivatives are made on threads of their own, as many as there are decode slots: first
# thumbnails asked for together queue here as futures, not as threads of the default pool
# parked on the slot (which file reads and hashing of every other request share).
_derive_threads = ThreadPoolExecutor(DECODE_SLOTS, thread_name_prefix="derive")


class Unprocessable(CaseTrailError):
    """The bytes are of the declared type but cannot be safely used (bomb, truncated, absurd)."""

    status, code = 422, "unprocessable_media"


# -- moment 1: the finished upload ------------------------------------------------------------


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


# -- moment 2: finalising the capture ---------------------------------------------------------


@dataclass(frozen=True)
class MediaRequest:
    """What the app sends to finalise a capture (see POST /api/cases/{case_id}/media)."""

    client_id: str
    sha256: str
    kind: str
    media_type: str
    claimed: dict[str, Any] | None = None
    device: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceInfo:
    make: str | None = None
    model: str | None = None


async def entry_by_client_id(client_id: str) -> Entry | None:
    return await reads.by_client_id(client_id)


def _same_capture(entry: Entry, case_id: str, kind: str, sha256: str) -> bool:
    return entry.case_id == case_id and entry.kind == kind and sha256 in entry.body["blobs"]


async def finalise_media(
    ledger: Ledger,
    blobs: BlobStore,
    uploads: UploadStore,
    *,
    case_id: str,
    actor: str | None,
    request: MediaRequest,
    pack: dict[str, Any] | None,
    device: DeviceInfo | None = None,
    now: datetime | None = None,
) -> Entry:
    """Append the media entry for a finished upload; a resend returns the same entry."""
    kind = f"media.{media_kind(request.kind)}"
    check_claimed(request.claimed)
    existing = await entry_by_client_id(request.client_id)
    if existing is not None:
        if _same_capture(existing, case_id, kind, request.sha256):
            return existing
        raise Conflict("client_id already used for a different entry", code="client_id_reused")
    upload = await uploads.find(actor, case_id, request.client_id)
    if upload is None:
        raise NotFound("no upload for this capture", code="upload_not_found")
    upload = await uploads.ensure_complete(upload)
    if not upload.complete:
        raise Conflict(
            f"upload has {upload.offset} of {upload.length} bytes",
            code="upload_incomplete",
            detail={"offset": upload.offset, "length": upload.length},
        )
    if upload.sha256 != request.sha256:
        raise Conflict("sha256 differs from the uploaded file's", code="sha256_mismatch")
    if f"media.{upload.kind}" != kind:
        raise UnsupportedMedia(f"the upload was a {upload.kind}, not {kind}", code="kind_mismatch")
    if normalize_mime(request.media_type) != upload.facts.get("media_type"):
        raise UnsupportedMedia(
            f"declared {request.media_type}, the bytes are {upload.facts.get('media_type')}",
            code="type_mismatch",
        )
    now = now or datetime.now(UTC)
    unknown = set(request.payload) - set(CLIENT_FIELDS)
    if unknown:
        raise Invalid(f"unknown payload fields: {sorted(unknown)}", code="bad_payload")
    payload: dict[str, Any] = {k: v for k, v in request.payload.items() if v is not None}
    payload.update(
        sha256=upload.sha256,
        media_type=upload.facts["media_type"],
        size=upload.length,
    )
    if upload.filename:
        payload["filename"] = upload.filename
    for key in ("image", "exif", "media", "c2pa"):
        if key in upload.facts:
            payload[key] = upload.facts[key]
    step_started = await _step_started_at(ledger, case_id, payload)
    tolerances = _tolerances(pack)
    claims = _claims(request, device)
    if upload.kind == "photo":
        findings = await _photo_findings(
            blobs, uploads, upload, claims, step_started, now, tolerances, agency_zone(pack)
        )
    elif upload.kind in ("audio", "video"):
        findings = _recording_findings(upload.facts.get("media") or {}, claims, tolerances)
    else:
        findings = []
    if "c2pa" in upload.facts:
        credentials = Credentials.from_json(upload.facts["c2pa"])
        findings += credential_findings(credentials, claims, tolerances)
    payload["findings"] = [f.to_json() for f in findings]
    captured, _ = capture_moment(request.claimed, payload["findings"])
    if upload.kind in AV_KINDS and captured is not None and pack is not None:
        back = payload.get("remote_area_return_at")
        payload["upload"] = upload_deadline(
            pack["deadlines"],
            captured,
            now,
            _time(back, "remote_area_return_at") if back else None,
            payload.get("remote_area_reason"),
        ).to_json()
    draft = Draft(
        case_id=case_id,
        kind=kind,
        client_id=request.client_id,
        payload=payload,
        actor=actor,
        device=request.device,
        claimed=request.claimed,
        blobs=(upload.sha256,),
    )
    try:
        entry = await ledger.append(draft)
    except Conflict:
        # Two finalises of one capture raced; the first one's entry is the answer.
        existing = await entry_by_client_id(request.client_id)
        if existing is not None and _same_capture(existing, case_id, kind, request.sha256):
            return existing
        raise
    return entry  # the evidence projection has recorded it before the ledger answered


# Recorder and CCTV files reach a case by these entries rather than by media.*; their blobs are read
# (played, downloaded, spot-checked) through the same access rule.
RECORDING_KINDS = frozenset({"recording.imported", "recording.linked"})


def holds_media(entry: Entry) -> bool:
    return entry.kind.startswith("media.") or entry.kind in RECORDING_KINDS


async def record_media(entry: Entry) -> None:
    """Project one media or recorder-file entry into evidence_media (idempotent)."""
    if not holds_media(entry) or not entry.body["blobs"]:
        return
    # One statement: a replayed entry, or one another worker projected first, changes nothing.
    await EvidenceMedia.raw(
        "INSERT INTO evidence_media (entry_hash, sha256, case_id, kind, media_type, received_at) "
        "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (entry_hash) DO NOTHING",
        entry.hash,
        entry.body["blobs"][0],
        entry.case_id,
        entry.kind,
        entry.payload.get("media_type", ""),
        entry.received_at,
    )


def _time(text: Any, name: str) -> datetime:
    try:
        return parse_iso(str(text))
    except ValueError as bad:
        raise Invalid(f"{name} is not an ISO 8601 time", code="bad_time") from bad


async def _step_started_at(
    ledger: Ledger, case_id: str, payload: dict[str, Any]
) -> datetime | None:
    if payload.get("step_started_at"):
        return _time(payload["step_started_at"], "step_started_at")
    if payload.get("for_entry"):
        entry = await ledger.get(payload["for_entry"])
        if entry.case_id != case_id:
            raise Invalid("for_entry is not on this case's timeline", code="bad_for_entry")
        return entry_time(entry)
    return None


def agency_zone(pack: dict[str, Any] | None) -> str:
    """The IANA zone the agency's pack names (cameras there write this local time)."""
    return str((pack or {}).get("time_zone") or DEFAULT_ZONE)


def _tolerances(pack: dict[str, Any] | None) -> Tolerances:
    exif = (pack or {}).get("exif") or {}
    default = Tolerances()
    return Tolerances(
        time_skew_s=exif.get("time_skew_s", default.time_skew_s),
        distance_m=exif.get("distance_m", default.distance_m),
        older_than_step_s=exif.get("older_than_step_s", default.older_than_step_s),
    )


def _claims(request: MediaRequest, device: DeviceInfo | None) -> DeviceClaims | None:
    claimed = request.claimed or {}
    if not claimed.get("time"):
        return None
    geo = claimed.get("geo") or {}
    return DeviceClaims(
        captured_at=_time(claimed["time"], "claimed.time"),
        clock_offset_ms=claimed.get("clock_offset_ms"),
        lat=geo.get("lat"),
        lon=geo.get("lon"),
        accuracy_m=geo.get("accuracy_m"),
        fix_time=_time(geo["fix_time"], "claimed.geo.fix_time") if geo.get("fix_time") else None,
        device_id=request.device,
        make=device.make if device else None,
        model=device.model if device else None,
        time_zone=claimed.get("time_zone"),
        utc_offset_min=claimed.get("utc_offset_min"),
    )


async def _photo_findings(
    blobs: BlobStore,
    uploads: UploadStore,
    upload: Upload,
    claims: DeviceClaims | None,
    step_started: datetime | None,
    now: datetime,
    tolerances: Tolerances,
    zone: str = DEFAULT_ZONE,
) -> list[Finding]:
    try:
        if "exif" in upload.facts:  # read from the bytes when they arrived
            facts = ExifFacts.from_json(upload.facts["exif"])
        else:
            async with local_copy(blobs, upload.sha256, uploads.root.parent / "tmp") as path:
                facts = await asyncio.to_thread(read_exif, path)
    except ExifInvalid as bad:  # already refused at upload; kept for blobs stored before that
        raise Unprocessable(str(bad), code="absurd_exif") from bad
    if claims is None:
        basis = "exif_only" if facts.has_checkable_facts else "none"
        detail: dict[str, Any] = {"basis": basis}
        taken = exif_time_aware(facts, zone)
        if taken is not None:
            detail["exif_time"] = taken.isoformat()  # the upload deadline counts from it
            if facts.taken_at is not None and facts.taken_at.tzinfo is None:
                detail["zone"] = zone
        return [Finding("no_claims", detail), *claim_free_findings(facts)]
    try:
        return compare_exif(facts, claims, step_started, now, tolerances, zone)
    except ExifInvalid as bad:  # already refused at upload; kept for blobs stored before that
        raise Unprocessable(str(bad), code="absurd_exif") from bad


def _recording_findings(
    media: dict[str, Any], claims: DeviceClaims | None, tolerances: Tolerances
) -> list[Finding]:
    findings = _container_time_findings(media, claims, tolerances)
    if "header_duration_s" in media:
        findings.append(
            Finding("absurd_duration", {"header_duration_s": media["header_duration_s"]})
        )
    return findings


def _container_time_findings(
    media: dict[str, Any], claims: DeviceClaims | None, tolerances: Tolerances
) -> list[Finding]:
    created = media.get("created_at")
    if claims is None:
        if not created:
            return [Finding("no_claims", {"basis": "none"})]
        return [Finding("no_claims", {"basis": "container", "container_time": created})]
    if not created:
        # Browser recordings (webm) carry no creation time: the device claim stands alone.
        return [Finding("consistent", {"checked": [], "basis": "device_claims"})]
    skew = (parse_iso(created) - claims.captured_at).total_seconds()
    if abs(skew) > tolerances.time_skew_s:
        return [
            Finding(
                "container_time_skew",
                {
                    "container_time": created,
                    "claimed_time": claims.captured_at.isoformat(),
                    "skew_s": round(skew, 3),
                    "tolerance_s": tolerances.time_skew_s,
                },
            )
        ]
    return [Finding("consistent", {"checked": ["container_time"]})]


# -- derivatives --------------------------------------------------------------------------------


async def ensure_derivatives(
    blobs: BlobStore,
    original: str,
    media_type: str,
    tmp_dir: Path,
    variants: Iterable[str] | None = None,
) -> dict[str, str]:
    """Make the missing derivatives of `original` among `variants` (default: all its kind has).

    Returns {variant: sha256} of every derivative made so far.
    """
    rows = await EvidenceDerivative.select().where(EvidenceDerivative.original == original)
    have = {r["variant"]: r["sha256"] for r in rows}
    wanted = _variants_for(media_type)
    if variants is not None:
        wanted &= set(variants)
    if all(v in have for v in wanted):
        return have
    tmp_dir.mkdir(parents=True, exist_ok=True)
    async with local_copy(blobs, original, tmp_dir) as source:
        with tempfile.TemporaryDirectory(dir=tmp_dir, prefix="derive-") as work:
            try:
                made = await asyncio.get_running_loop().run_in_executor(
                    _derive_threads,
                    _make_derivatives,
                    source,
                    media_type,
                    Path(work),
                    wanted - set(have),
                )
            except UnsafeImage as bad:  # stored before today's limits, or over the memory cap
                raise refusal(Unprocessable, "unsafe_image", bad, bad.reason) from bad
            for variant, (path, size) in made.items():
                sha = await asyncio.to_thread(_sha256_file, path)
                await blobs.put_file(path, sha)
                try:
                    await EvidenceDerivative.insert(
                        EvidenceDerivative(
                            original=original,
                            variant=variant,
                            sha256=sha,
                            media_type="image/jpeg",
                            width=size[0],
                            height=size[1],
                            created_at=datetime.now(UTC),
                        )
                    )
                except Exception as exc:  # another request made the same variant first
                    if "unique" not in str(exc).lower():
                        raise
                    continue
                have[variant] = sha
    return have


def _variants_for(media_type: str) -> set[str]:
    if media_type.startswith("image/"):
        return {"thumbnail", "public"}
    if media_type.startswith("video/"):
        return {"poster", "thumbnail"}
    return set()


def _make_derivatives(
    source: Path, media_type: str, work: Path, variants: set[str]
) -> dict[str, tuple[Path, tuple[int, int]]]:
    made: dict[str, tuple[Path, tuple[int, int]]] = {}
    image_source = source
    if media_type.startswith("video/"):
        poster = work / "poster.jpg"
        if not poster_frame(source, poster):
            return made
        with decode_slot(), open_image_safely(poster) as im:
            size = im.size
        made["poster"] = (poster, size)
        image_source = poster
    if "thumbnail" in variants:
        thumb = work / "thumbnail.jpg"
        made["thumbnail"] = (thumb, make_thumbnail(image_source, thumb, THUMBNAIL_SIDE))
    if "public" in variants:
        public = work / "public.jpg"
        make_public_copy(image_source, public)
        with Image.open(public) as im:  # our own re-encoded file: its header is enough
            made["public"] = (public, im.size)
    return {k: v for k, v in made.items() if k in variants}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
