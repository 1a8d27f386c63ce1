"""EXIF check: a photo's own metadata compared with the device's claims and the step's time.

The EXIF block is read with exifread (never parsed by hand). Only the header is read, so the
check stays in the low milliseconds even for multi-megabyte photos.
"""

from __future__ import annotations

import io
import math
import re
import struct
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

import exifread
import pillow_heif

EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_ALLOWANCE = timedelta(days=1)
EARTH_RADIUS_M = 6_371_008.8

# Names as they appear in the Software tag of photo editors; camera firmware versions
# ("HDR+ 1.0", "G998BXXU5", "17.1") match none of them.
EDITORS: tuple[str, ...] = (
    "photoshop",
    "lightroom",
    "snapseed",
    "gimp",
    "美图",
    "meitu",
    "picsart",
    "醒图",
    "pixelmator",
    "affinity photo",
    "facetune",
    "vsco",
    "polarr",
    "fotor",
    "photodirector",
    "canva",
)


class ExifInvalid(ValueError):
    """The EXIF block holds absurd or unreadable values; the upload is refused (4xx)."""


@dataclass(frozen=True)
class DeviceClaims:
    """What the capturing device said about the capture.

    `clock_offset_ms` is server time minus device time, as measured by the app: adding it to a
    device-clock time gives the time on the server's clock. Datetimes must be timezone-aware.
    """

    captured_at: datetime
    clock_offset_ms: int | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    fix_time: datetime | None
    device_id: str | None
    make: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class Tolerances:
    """How far EXIF may stray from the claims before a finding is recorded."""

    time_skew_s: int = 300
    distance_m: float = 200
    older_than_step_s: int = 600


@dataclass(frozen=True)
class Finding:
    """One outcome of the check, stored in the evidence entry's payload."""

    code: str
    detail: dict = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True)
class ExifFacts:
    """The EXIF values the check uses, for display next to the photo.

    `taken_at` is aware when the photo carries OffsetTimeOriginal, naive (camera wall clock)
    otherwise. `gps_time` is UTC, as GPS time always is.
    """

    has_exif: bool
    taken_at: datetime | None = None
    offset_time: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_time: datetime | None = None
    make: str | None = None
    model: str | None = None
    software: str | None = None

    @property
    def has_checkable_facts(self) -> bool:
        return any(
            v is not None
            for v in (self.taken_at, self.gps_lat, self.gps_time, self.make, self.model)
        ) or bool(self.software)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("taken_at", "gps_time"):
            if out[key] is not None:
                out[key] = out[key].isoformat()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExifFacts:
        """The facts as `to_json` recorded them; a naive `taken_at` stays naive."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        for key in ("taken_at", "gps_time"):
            if values.get(key) is not None:
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


def read_exif(path: Path) -> ExifFacts:
    """Read the EXIF facts of a JPEG, PNG, WebP or HEIC file (header only).

    Raises ExifInvalid when the EXIF block exists but cannot be read or holds malformed values.
    A file without EXIF gives `ExifFacts(has_exif=False)`.
    """
    try:
        with open(path, "rb") as fh:
            tiff = _embedded_tiff(fh, path)
            if tiff == b"":
                return ExifFacts(has_exif=False)
            source = io.BytesIO(tiff) if tiff is not None else fh
            tags = exifread.process_file(source, details=False, extract_thumbnail=False)
    except OSError:
        raise
    except Exception as exc:  # exifread raises a variety of types on hostile headers
        raise ExifInvalid(f"EXIF block is unreadable: {exc}") from exc
    if not tags:
        return ExifFacts(has_exif=False)

    offset_time = _text(tags, "EXIF OffsetTimeOriginal")
    taken_at = _parse_exif_datetime(_text(tags, "EXIF DateTimeOriginal"), "DateTimeOriginal")
    if taken_at is not None and offset_time:
        taken_at = taken_at.replace(tzinfo=_parse_offset(offset_time))
    return ExifFacts(
        has_exif=True,
        taken_at=taken_at,
        offset_time=offset_time,
        gps_lat=_gps_coordinate(tags, "GPS GPSLatitude", "GPS GPSLatitudeRef", "S"),
        gps_lon=_gps_coordinate(tags, "GPS GPSLongitude", "GPS GPSLongitudeRef", "W"),
        gps_time=_gps_datetime(tags),
        make=_text(tags, "Image Make"),
        model=_text(tags, "Image Model"),
        software=_text(tags, "Image Software"),
    )


def check_exif(
    path: Path,
    claims: DeviceClaims,
    step_started_at: datetime | None,
    received_at: datetime,
    tolerances: Tolerances,
) -> list[Finding]:
    """`compare_exif` for the EXIF read from the photo at `path`."""
    _require_aware(claims, step_started_at, received_at)
    return compare_exif(read_exif(path), claims, step_started_at, received_at, tolerances)


def _require_aware(
    claims: DeviceClaims, step_started_at: datetime | None, received_at: datetime
) -> None:
    for name, value in (
        ("claims.captured_at", claims.captured_at),
        ("received_at", received_at),
        ("step_started_at", step_started_at),
    ):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")


def compare_exif(
    facts: ExifFacts,
    claims: DeviceClaims,
    step_started_at: datetime | None,
    received_at: datetime,
    tolerances: Tolerances,
) -> list[Finding]:
    """Compare a photo's EXIF facts with the device's claims and the step's start.

    Returns `[Finding("consistent", ...)]` when every possible comparison passes, otherwise the
    failing findings; `[Finding("no_exif", ...)]` when the photo carries no usable EXIF (an in-app
    canvas capture: only the device claims stand). Raises ExifInvalid for absurd EXIF values.
    `step_started_at` and `received_at` are on the server's clock.
    """
    _require_aware(claims, step_started_at, received_at)
    refuse_absurd(facts, received_at)
    if not facts.has_checkable_facts:
        return [Finding("no_exif", {"basis": "device_claims"})]

    findings: list[Finding] = []
    checked: list[str] = []
    notes: list[str] = []
    offset = timedelta(milliseconds=claims.clock_offset_ms or 0)

    if facts.software:
        checked.append("software")
        editor = _editor_named_in(facts.software)
        if editor:
            findings.append(Finding("edited", {"software": facts.software, "editor": editor}))

    if claims.make or claims.model:
        mismatch = _device_mismatch(facts, claims)
        if mismatch is not None:
            checked.append("device")
            if mismatch:
                findings.append(Finding("device_mismatch", mismatch))

    if facts.taken_at is not None:
        taken_at, assumed = _taken_at_aware(facts, claims)
        time_detail: dict[str, Any] = {}
        if assumed:
            time_detail["offset_assumed"] = assumed
            notes.append(f"DateTimeOriginal has no offset; read as {assumed} from the device claim")
        checked.append("time")
        skew = (taken_at - claims.captured_at).total_seconds()
        if abs(skew) > tolerances.time_skew_s:
            findings.append(
                Finding(
                    "time_skew",
                    {
                        "source": "DateTimeOriginal",
                        "exif_time": taken_at.isoformat(),
                        "claimed_time": claims.captured_at.isoformat(),
                        "skew_s": round(skew, 3),
                        "tolerance_s": tolerances.time_skew_s,
                        **time_detail,
                    },
                )
            )
        if step_started_at is not None:
            checked.append("step")
            # EXIF time is on the device clock; the step start is on the server clock.
            taken_server = taken_at + offset
            age = (step_started_at - taken_server).total_seconds()
            if age > tolerances.older_than_step_s:
                findings.append(
                    Finding(
                        "older_than_step",
                        {
                            "exif_time": taken_at.isoformat(),
                            "exif_time_server_clock": taken_server.isoformat(),
                            "step_started_at": step_started_at.isoformat(),
                            "seconds_before_step": round(age, 3),
                            "tolerance_s": tolerances.older_than_step_s,
                            **time_detail,
                        },
                    )
                )

    if facts.gps_time is not None:
        # GPS time is satellite time, independent of the device clock: compare it with the
        # capture moment on the server clock, which catches a device clock set back on purpose.
        checked.append("gps_time")
        captured_server = claims.captured_at + offset
        skew = (facts.gps_time - captured_server).total_seconds()
        if abs(skew) > tolerances.time_skew_s:
            findings.append(
                Finding(
                    "time_skew",
                    {
                        "source": "GPSDateTime",
                        "exif_time": facts.gps_time.isoformat(),
                        "claimed_time_server_clock": captured_server.isoformat(),
                        "skew_s": round(skew, 3),
                        "tolerance_s": tolerances.time_skew_s,
                        "clock_offset_known": claims.clock_offset_ms is not None,
                    },
                )
            )

    if (
        facts.gps_lat is not None
        and facts.gps_lon is not None
        and claims.lat is not None
        and claims.lon is not None
    ):
        checked.append("location")
        distance = haversine_m(facts.gps_lat, facts.gps_lon, claims.lat, claims.lon)
        if distance > tolerances.distance_m:
            findings.append(
                Finding(
                    "location_mismatch",
                    {
                        "distance_m": round(distance, 1),
                        "tolerance_m": tolerances.distance_m,
                        "exif": {"lat": facts.gps_lat, "lon": facts.gps_lon},
                        "claimed": {
                            "lat": claims.lat,
                            "lon": claims.lon,
                            "accuracy_m": claims.accuracy_m,
                        },
                    },
                )
            )

    if findings:
        return findings
    detail: dict[str, Any] = {"checked": checked}
    if notes:
        detail["notes"] = notes
    return [Finding("consistent", detail)]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points (spherical Earth)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def refuse_absurd(facts: ExifFacts, received_at: datetime) -> None:
    """ExifInvalid for values no real camera writes (latitude 999, a photo from 1970 or 2099)."""
    if facts.gps_lat is not None and not -90 <= facts.gps_lat <= 90:
        raise ExifInvalid(f"EXIF GPS latitude {facts.gps_lat} is outside ±90")
    if facts.gps_lon is not None and not -180 <= facts.gps_lon <= 180:
        raise ExifInvalid(f"EXIF GPS longitude {facts.gps_lon} is outside ±180")
    latest = received_at + FUTURE_ALLOWANCE
    for name, value in (("DateTimeOriginal", facts.taken_at), ("GPS date/time", facts.gps_time)):
        if value is None:
            continue
        # A naive camera time is off by at most a time zone; ±14 h cannot move it across
        # the bounds by more than the allowance already gives.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        if aware < EARLIEST_PLAUSIBLE:
            raise ExifInvalid(f"EXIF {name} {value.isoformat()} is before 2000")
        if aware > latest:
            raise ExifInvalid(
                f"EXIF {name} {value.isoformat()} is more than a day after receipt "
                f"({received_at.isoformat()})"
            )


def _taken_at_aware(facts: ExifFacts, claims: DeviceClaims) -> tuple[datetime, str | None]:
    assert facts.taken_at is not None
    if facts.taken_at.tzinfo is not None:
        return facts.taken_at, None
    claim_offset = claims.captured_at.utcoffset() or timedelta(0)
    tz = timezone(claim_offset)
    return facts.taken_at.replace(tzinfo=tz), _format_offset(claim_offset)


def _device_mismatch(facts: ExifFacts, claims: DeviceClaims) -> dict[str, Any] | None:
    """None when nothing could be compared, {} when all compared fields agree."""
    compared = False
    differs: dict[str, Any] = {}
    if claims.make and facts.make:
        compared = True
        if _norm(claims.make) != _norm(facts.make):
            differs["make"] = {"exif": facts.make, "claimed": claims.make}
    if claims.model and facts.model:
        compared = True
        # Some cameras repeat the make in the model ("Canon EOS R5"); compare without it.
        makes = [_norm(m) for m in (facts.make, claims.make) if m]
        if _strip_make(_norm(claims.model), makes) != _strip_make(_norm(facts.model), makes):
            differs["model"] = {"exif": facts.model, "claimed": claims.model}
    return differs if compared else None


def _strip_make(model: str, makes: list[str]) -> str:
    for make in makes:
        if model.startswith(make + " "):
            return model[len(make) + 1 :]
    return model


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _editor_named_in(software: str) -> str | None:
    lowered = software.casefold()
    return next((editor for editor in EDITORS if editor in lowered), None)


def _embedded_tiff(fh: BinaryIO, path: Path) -> bytes | None:
    """The EXIF TIFF bytes of a WebP or HEIC file, or None for other files.

    exifread 3.5 misreads both as written by libwebp/libheif (and so Pillow, pillow_heif): it
    expects an "Exif\\x00\\x00" prefix in WebP's EXIF chunk, and ignores the iloc base offset
    in HEIC. Only the container is walked here; exifread still parses the EXIF itself.
    """
    header = fh.read(12)
    fh.seek(0)
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        payload = _webp_exif_chunk(fh)
    elif header[4:8] == b"ftyp":
        try:
            payload = pillow_heif.open_heif(path, convert_hdr_to_8bit=False).info.get("exif")
        except (ValueError, RuntimeError):  # not a HEIF image (an MP4, say)
            payload = None
    else:
        return None
    fh.seek(0)
    if payload is None:
        return b""
    return payload[6:] if payload.startswith(b"Exif\x00\x00") else payload


def _webp_exif_chunk(fh: BinaryIO) -> bytes | None:
    fh.seek(12)
    while True:
        chunk = fh.read(8)
        if len(chunk) < 8:
            return None
        fourcc, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if fourcc == b"EXIF":
            return fh.read(size)
        fh.seek(size + (size & 1), io.SEEK_CUR)


def _text(tags: dict, key: str) -> str | None:
    tag = tags.get(key)
    if tag is None:
        return None
    values = tag.values
    text = values.decode("utf-8", "replace") if isinstance(values, bytes) else str(values)
    text = text.replace("\x00", "").strip()
    return text or None


_DATETIME_BLANK = re.compile(r"^[\s:]*$")


def _parse_exif_datetime(text: str | None, name: str) -> datetime | None:
    if text is None or _DATETIME_BLANK.match(text):
        return None  # the EXIF spec's way of saying "unknown"
    try:
        return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError as exc:
        raise ExifInvalid(f"EXIF {name} {text!r} is not a valid date") from exc


_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _parse_offset(text: str) -> timezone:
    match = _OFFSET.match(text)
    if not match:
        raise ExifInvalid(f"EXIF OffsetTimeOriginal {text!r} is not ±HH:MM")
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        raise ExifInvalid(f"EXIF OffsetTimeOriginal {text!r} is out of range")
    return timezone(-delta if sign == "-" else delta)


def _format_offset(delta: timedelta) -> str:
    total = int(delta.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _rationals(tags: dict, key: str) -> list[float] | None:
    tag = tags.get(key)
    if tag is None:
        return None
    try:
        values = [float(v) for v in tag.values]
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise ExifInvalid(f"EXIF {key} {tag.printable!r} is not a number") from exc
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise ExifInvalid(f"EXIF {key} {tag.printable!r} is not three numbers")
    return values


def _gps_coordinate(tags: dict, key: str, ref_key: str, negative_ref: str) -> float | None:
    dms = _rationals(tags, key)
    if dms is None:
        return None
    degrees = dms[0] + dms[1] / 60 + dms[2] / 3600
    ref = (_text(tags, ref_key) or "").upper()
    return -degrees if ref == negative_ref else degrees


def _gps_datetime(tags: dict) -> datetime | None:
    date_text = _text(tags, "GPS GPSDate")
    hms = _rationals(tags, "GPS GPSTimeStamp")
    if not date_text or hms is None:
        return None
    try:
        day = datetime.strptime(date_text[:10], "%Y:%m:%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ExifInvalid(f"EXIF GPSDateStamp {date_text!r} is not a valid date") from exc
    hours, minutes, seconds = hms
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
        raise ExifInvalid(f"EXIF GPSTimeStamp {hms} is not a time of day")
    return day + timedelta(hours=hours, minutes=minutes, seconds=seconds)
