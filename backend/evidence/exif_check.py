"""EXIF check: a photo's own metadata compared with the device's claims and the step's time.

The EXIF block is read with exifread (never parsed by hand). Only the header is read, so the
check stays in the low milliseconds even for multi-megabyte photos.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import exifread
import pillow_heif
from PIL import Image

# A camera that lost its clock starts again at its epoch (1998, 2000, 1970...): such a date says
# the clock was unset, not that the photo is fake, so it is a finding and never a refusal.
CLOCK_UNSET_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_ALLOWANCE = timedelta(days=1)
EARTH_RADIUS_M = 6_371_008.8
DEFAULT_ZONE = "Asia/Shanghai"  # where a pack names no zone: the agencies are in China
EDITORS_FILE = Path(__file__).resolve().parents[2] / "shared" / "evidence" / "editors.json"
XMP_LIMIT = 1 << 20  # XMP beyond a megabyte is not read for edit history


@dataclass(frozen=True)
class Editor:
    """A photo editor as shared/evidence/editors.json names it."""

    match: tuple[str, ...]
    zh: str
    en: str


@cache
def editors() -> tuple[tuple[Editor, ...], frozenset[str]]:
    """The editors and the XMP history actions that mean an edit, read once from shared/."""
    data = json.loads(EDITORS_FILE.read_text(encoding="utf-8"))
    listed = tuple(
        Editor(tuple(m.casefold() for m in e["match"]), e["zh"], e["en"]) for e in data["editors"]
    )
    return listed, frozenset(a.casefold() for a in data["xmp_edit_actions"])


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
    time_zone: str | None = None  # the device's IANA zone, e.g. "Asia/Shanghai"
    utc_offset_min: int | None = None  # the device's UTC offset when it made the claim


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
    # Software agents of the edit steps in the XMP history (xmpMM:History), oldest first.
    edit_history: list[str] | None = None

    @property
    def has_checkable_facts(self) -> bool:
        return any(
            v is not None
            for v in (self.taken_at, self.gps_lat, self.gps_time, self.make, self.model)
        ) or bool(self.software or self.edit_history)

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
                return ExifFacts(has_exif=False, edit_history=read_xmp_edits(path))
            source = io.BytesIO(tiff) if tiff is not None else fh
            tags = exifread.process_file(source, details=False, extract_thumbnail=False)
    except OSError:
        raise
    except Exception as exc:  # exifread raises a variety of types on hostile headers
        raise ExifInvalid(f"EXIF block is unreadable: {exc}") from exc
    if not tags:
        return ExifFacts(has_exif=False, edit_history=read_xmp_edits(path))

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
        edit_history=read_xmp_edits(path),
    )


def read_xmp_edits(path: Path) -> list[str] | None:
    """Software agents of the edit steps an XMP packet records (`xmpMM:History`), or None.

    XMP is read by Pillow from the header segments (never the pixels) and searched, not parsed:
    an XML parser on an upload's XMP would need entity-expansion guards for no gain.
    """
    try:
        with Image.open(path) as im:
            xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    except Exception:  # no image Pillow opens (HEIC without its plugin): no XMP to read
        return None
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    if not xmp:
        return None
    return xmp_edits(bytes(xmp[:XMP_LIMIT]))


_HISTORY = re.compile(rb"<xmpMM:History\b.*?</xmpMM:History>", re.S)
_HISTORY_ITEM = re.compile(rb"<rdf:li\b(.*?)(?:/>|</rdf:li>)", re.S)


def xmp_edits(xmp: bytes) -> list[str] | None:
    """The history steps of an XMP packet whose action is an edit, by software agent."""
    history = _HISTORY.search(xmp)
    if history is None:
        return None
    _, actions = editors()
    agents = []
    for item in _HISTORY_ITEM.finditer(history.group(0)):
        action = _xmp_value(item.group(1), b"stEvt:action")
        if action and action.casefold() in actions:
            agents.append(_xmp_value(item.group(1), b"stEvt:softwareAgent") or "?")
    return agents or None


def _xmp_value(item: bytes, name: bytes) -> str | None:
    found = re.search(re.escape(name) + rb'="([^"]*)"', item) or re.search(
        rb"<" + re.escape(name) + rb">([^<]*)<", item
    )
    return found.group(1).decode("utf-8", "replace").strip() if found else None


def check_exif(
    path: Path,
    claims: DeviceClaims,
    step_started_at: datetime | None,
    received_at: datetime,
    tolerances: Tolerances,
    agency_zone: str = DEFAULT_ZONE,
) -> list[Finding]:
    """`compare_exif` for the EXIF read from the photo at `path`."""
    _require_aware(claims, step_started_at, received_at)
    facts = read_exif(path)
    return compare_exif(facts, claims, step_started_at, received_at, tolerances, agency_zone)


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
    agency_zone: str = DEFAULT_ZONE,
) -> list[Finding]:
    """Compare a photo's EXIF facts with the device's claims and the step's start.

    Returns `[Finding("consistent", ...)]` when every possible comparison passes, otherwise the
    failing findings; `[Finding("no_exif", ...)]` when the photo carries no usable EXIF (an in-app
    canvas capture: only the device claims stand). Raises ExifInvalid for absurd EXIF values.
    `step_started_at` and `received_at` are on the server's clock. A camera time without an
    offset is the device's wall clock: it is read in the device's zone, else `agency_zone`.
    """
    _require_aware(claims, step_started_at, received_at)
    refuse_absurd(facts, received_at)
    if not facts.has_checkable_facts:
        return [Finding("no_exif", {"basis": "device_claims"})]

    findings: list[Finding] = []
    checked: list[str] = []
    notes: list[str] = []
    offset = timedelta(milliseconds=claims.clock_offset_ms or 0)

    if facts.software or facts.edit_history:
        checked.append("software")
    findings.extend(claim_free_findings(facts))
    clock_unset = _clock_unset(facts.taken_at)

    if claims.make or claims.model:
        mismatch = _device_mismatch(facts, claims)
        if mismatch is not None:
            checked.append("device")
            if mismatch:
                findings.append(Finding("device_mismatch", mismatch))

    if facts.taken_at is not None and not clock_unset:
        taken_at, time_detail = _taken_at_aware(facts.taken_at, claims, agency_zone)
        if time_detail:
            notes.append(
                f"DateTimeOriginal has no offset; read as {time_detail['offset_assumed']} "
                f"({time_detail['zone_source']} time zone)"
            )
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

    if facts.gps_time is not None and not _clock_unset(facts.gps_time):
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
    """ExifInvalid for values no real camera writes (latitude 999, a photo from 2099)."""
    if facts.gps_lat is not None and not -90 <= facts.gps_lat <= 90:
        raise ExifInvalid(f"EXIF GPS latitude {facts.gps_lat} is outside ±90")
    if facts.gps_lon is not None and not -180 <= facts.gps_lon <= 180:
        raise ExifInvalid(f"EXIF GPS longitude {facts.gps_lon} is outside ±180")
    latest = received_at + FUTURE_ALLOWANCE
    for name, value in (("DateTimeOriginal", facts.taken_at), ("GPS date/time", facts.gps_time)):
        if value is None:
            continue
        # A naive camera time is off by at most a time zone; ±14 h cannot move it across
        # the bound by more than the allowance already gives. Dates before 2000 are a camera
        # whose clock was never set: `camera_clock_unset`, not a refusal.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        if aware > latest:
            raise ExifInvalid(
                f"EXIF {name} {value.isoformat()} is more than a day after receipt "
                f"({received_at.isoformat()})"
            )


def claim_free_findings(facts: ExifFacts) -> list[Finding]:
    """What the photo says about itself, with or without a device claim: edits, an unset clock."""
    found: list[Finding] = []
    edited = _edited(facts)
    if edited is not None:
        found.append(edited)
    for source, value in (("DateTimeOriginal", facts.taken_at), ("GPSDateTime", facts.gps_time)):
        if _clock_unset(value):
            assert value is not None
            found.append(
                Finding("camera_clock_unset", {"source": source, "exif_time": value.isoformat()})
            )
    return found


def _edited(facts: ExifFacts) -> Finding | None:
    """One `edited` finding naming the editor, from the Software tag or else the XMP history."""
    by_software = editor_named_in(facts.software) if facts.software else None
    if by_software is None and not facts.edit_history:
        return None
    detail: dict[str, Any] = {"source": "software" if by_software else "xmp_history"}
    if facts.edit_history:
        detail["xmp_history_steps"] = len(facts.edit_history)
    named = by_software or next(
        (e for e in map(editor_named_in, reversed(facts.edit_history or [])) if e), None
    )
    detail["software"] = facts.software if by_software else (facts.edit_history or ["?"])[-1]
    if named is not None:
        detail.update(_editor_words(named))
    return Finding("edited", detail)


def _editor_words(editor: Editor) -> dict[str, str]:
    return {"editor": editor.en, "editor_zh": editor.zh}


def _clock_unset(value: datetime | None) -> bool:
    if value is None:
        return False
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware < CLOCK_UNSET_BEFORE


def wall_clock_zone(
    claims: DeviceClaims | None, agency_zone: str = DEFAULT_ZONE
) -> tuple[tzinfo, str, str]:
    """The zone a camera's offset-less wall-clock time is read in, its name, and whose it is.

    The device's IANA zone first (right across daylight-saving changes), then the offset it
    sent, then a non-UTC offset on its claimed time (older clients), then the agency's zone.
    Never UTC by default: phones send UTC times, but cameras write local ones.
    """
    if claims is not None:
        zone = _zone(claims.time_zone)
        if zone is not None:
            return zone, str(claims.time_zone), "device"
        if claims.utc_offset_min is not None and abs(claims.utc_offset_min) <= 14 * 60:
            delta = timedelta(minutes=claims.utc_offset_min)
            return timezone(delta), _format_offset(delta), "device"
        claim_offset = claims.captured_at.utcoffset()
        if claim_offset:
            return timezone(claim_offset), _format_offset(claim_offset), "device"
    zone = _zone(agency_zone) or ZoneInfo(DEFAULT_ZONE)
    return zone, str(zone.key), "agency"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a client's unknown or malformed zone name falls back, never fails


def _taken_at_aware(
    taken_at: datetime, claims: DeviceClaims | None, agency_zone: str
) -> tuple[datetime, dict[str, str]]:
    """The EXIF time as an aware time, and how its offset was chosen ({} when it had one)."""
    if taken_at.tzinfo is not None:
        return taken_at, {}
    zone, name, source = wall_clock_zone(claims, agency_zone)
    aware = taken_at.replace(tzinfo=zone)
    offset = aware.utcoffset() or timedelta(0)
    return aware, {"offset_assumed": _format_offset(offset), "zone": name, "zone_source": source}


def exif_time_aware(facts: ExifFacts, agency_zone: str = DEFAULT_ZONE) -> datetime | None:
    """The photo's own capture time as an aware time (agency zone for a wall-clock time)."""
    if facts.taken_at is None or _clock_unset(facts.taken_at):
        return None
    return _taken_at_aware(facts.taken_at, None, agency_zone)[0]


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


def editor_named_in(software: str) -> Editor | None:
    """The editor of shared/evidence/editors.json that `software` names, or None."""
    lowered = software.casefold()
    listed, _ = editors()
    return next((e for e in listed if any(m in lowered for m in e.match)), None)


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
