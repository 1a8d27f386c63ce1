"""Recorder imports: file-name conventions, recording times, case matching, custody, deadlines, retention.

Body-worn recorders (执法记录仪) and fixed cameras in inquiry and hearing rooms leave files on a
computer; an officer imports them after a shift. Every file is hashed and uploaded through the one
resumable upload path, then `import_recording` writes its custody entry (`recording.imported`) on the
agency timeline `agency:<id>` — once per file, whoever imports it again — with the recording's own
times, its upload deadline and the patrol retention class. Linking it to a case (`recording.linked`
on the case timeline, one per case) is what moves it to the case's retention.

Supported file-name conventions (times in file names are the recorder's local Beijing time):

  device_officer_time   <device>_<officer>_<YYYYMMDDHHMMSS>[_<n>].<ext>   e.g. 3301A07_012345_20261120093000.MP4
  dsj_device_time       DSJ_<device>_<YYYYMMDD>_<HHMMSS>[_<n>].<ext>      e.g. DSJ_0123456_20261120_093000.mp4
  nvr_export            <device>_<YYYYMMDDHHMMSS>_<YYYYMMDDHHMMSS>.<ext>  e.g. XW01_20261120093000_20261120101500.mp4
  timestamp             [<prefix>_]<YYYYMMDD>_<HHMMSS>[_<n>].<ext>        e.g. 20261120_093000_0001.MP4
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import uuid
from calendar import monthrange
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from backend.cases.rules import KINDS_DIR, RulePack
from backend.errors import Conflict, Invalid, NotFound, UnsupportedMedia
from backend.evidence import deadlines, devices
from backend.evidence.media_probe import MediaInfo
from backend.evidence.uploads import UploadStore
from backend.identity.access import Principal
from backend.identity.members import member_case_ids
from backend.ledger import reads
from backend.ledger.entry import Draft, Entry, parse_iso, utc_iso
from backend.ledger.ledger import Ledger

BEIJING = ZoneInfo("Asia/Shanghai")
IMPORTED = "recording.imported"
DUPLICATE = "recording.duplicate"
LINKED = "recording.linked"
_EXT = r"\.(?P<ext>mp4|mov|m4v|3gp|avi|mkv|ts|webm|wav|mp3|m4a|aac|ogg)"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Two recorder clocks (container and file name) within this of each other agree.
CLOCK_TOLERANCE = timedelta(minutes=2)
# Many recorders write local wall-clock time into the MP4 creation_time, which the format says is UTC.
LOCAL_WRITTEN_AS_UTC = timedelta(hours=8)
# A record with only a moment (no start/end) counts as this long either side of it.
POINT_SLACK = timedelta(minutes=30)
# Recorders are started a little before and stopped a little after the step they record.
MATCH_SLACK = timedelta(minutes=5)
LATE_REASONS = ("remote_area", "continuous_duty", "device_fault", "other")


@dataclass(frozen=True)
class Convention:
    """One recorder file-name convention."""

    id: str
    pattern: re.Pattern[str]
    example: str


def _convention(id: str, body: str, example: str) -> Convention:
    return Convention(id, re.compile(f"^{body}{_EXT}$", re.IGNORECASE), example)


CONVENTIONS: tuple[Convention, ...] = (
    _convention(
        "nvr_export",
        r"(?P<device>[A-Za-z0-9-]{1,40})_(?P<start>\d{14})_(?P<end>\d{14})",
        "XW01_20261120093000_20261120101500.mp4",
    ),
    _convention(
        "dsj_device_time",
        r"DSJ_(?P<device>[A-Za-z0-9]{3,30})_(?P<date>\d{8})_(?P<time>\d{6})(?:_(?P<seq>\d{1,6}))?",
        "DSJ_0123456_20261120_093000.mp4",
    ),
    _convention(
        "device_officer_time",
        r"(?P<device>[A-Za-z0-9-]{3,30})_(?P<officer>[A-Za-z0-9]{3,12})_(?P<start>\d{14})"
        r"(?:_(?P<seq>\d{1,6}))?",
        "3301A07_012345_20261120093000.MP4",
    ),
    _convention(
        "timestamp",
        r"(?:[A-Za-z]{1,10}[_-]?)?(?P<date>\d{8})[_-]?(?P<time>\d{6})(?:[_-](?P<seq>[A-Za-z0-9]{1,12}))?",
        "20261120_093000_0001.MP4",
    ),
)


@dataclass(frozen=True)
class RecorderName:
    """What a recorder's file name says: which convention, device, officer number, times."""

    convention: str
    device: str | None
    officer: str | None
    started_at: datetime | None
    ended_at: datetime | None = None
    sequence: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "convention": self.convention,
            "device": self.device,
            "officer": self.officer,
            "started_at": utc_iso(self.started_at) if self.started_at else None,
            "ended_at": utc_iso(self.ended_at) if self.ended_at else None,
            "sequence": self.sequence,
        }


def _local(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)


def parse_recorder_name(filename: str) -> RecorderName | None:
    """The first convention the file's base name fits, or None for names we do not know."""
    base = Path(filename.replace("\\", "/")).name
    for convention in CONVENTIONS:
        match = convention.pattern.match(base)
        if not match:
            continue
        parts = match.groupdict()
        try:
            start = parts.get("start") or f"{parts['date']}{parts['time']}"
            started_at = _local(start)
            ended_at = _local(parts["end"]) if parts.get("end") else None
        except ValueError:
            continue  # digits that are no date (month 13): try the next convention
        if ended_at is not None and ended_at < started_at:
            continue
        device = parts.get("device")
        return RecorderName(
            convention=convention.id,
            device=device.upper() if device else None,
            officer=parts.get("officer"),
            started_at=started_at,
            ended_at=ended_at,
            sequence=parts.get("seq"),
        )
    return None


@dataclass(frozen=True)
class RecordingTimes:
    """When a recording started and ended, and which clock said so."""

    started_at: datetime | None
    ended_at: datetime | None
    source: str  # container | file_name | file_modified | none
    notes: tuple[str, ...] = ()


def recording_times(
    info: MediaInfo, name: RecorderName | None, file_modified_at: datetime | None = None
) -> RecordingTimes:
    """Start from the container's creation time, else the file name, else the file's mtime."""
    duration = timedelta(seconds=info.duration_s) if info.duration_s else None
    container = info.created_at
    named = name.started_at if name else None
    notes: list[str] = []
    start: datetime | None = None
    source = "none"
    if container is not None and named is not None:
        gap = container - named
        if abs(gap - LOCAL_WRITTEN_AS_UTC) <= CLOCK_TOLERANCE:
            start, source = named, "file_name"
            notes.append("container_time_written_as_local_time")
        else:
            start, source = container, "container"
            if abs(gap) > CLOCK_TOLERANCE:
                notes.append(f"file_name_time_differs_by_{int(gap.total_seconds())}s")
    elif container is not None:
        start, source = container, "container"
    elif named is not None:
        start, source = named, "file_name"
    if start is not None:
        if source == "file_name" and name and name.ended_at:
            end = name.ended_at
        else:
            end = start + duration if duration else (name.ended_at if name else None) or start
        return RecordingTimes(start, end, source, tuple(notes))
    if file_modified_at is not None:
        notes.append("times_from_file_modified")
        begin = file_modified_at - duration if duration else file_modified_at
        return RecordingTimes(begin, file_modified_at, "file_modified", tuple(notes))
    return RecordingTimes(None, None, "none", ("no_recording_time",))


# -- matching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepWindow:
    """A recorded step of a case and the time it took place."""

    case_id: str
    case_title: str
    case_number: str | None
    step: str | None
    kind: str
    entry_hash: str
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True)
class Proposal:
    """A case and step a recording probably belongs to, for the officer to confirm."""

    case_id: str
    case_title: str
    case_number: str | None
    step: str | None
    kind: str
    for_entry: str
    overlap_s: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


@functools.cache
def _schema_times(kind: str, version: int) -> tuple[tuple[str, ...], str | None] | None:
    """The schema's own word on which payload fields say when the step took place.

    `x-time-window: [start, end]` or `x-moment: field | [field, ...]` (first present wins);
    `x-moment: null` declares that none of its times is when the step happened (a public notice's
    deemed service date). None when the schema says nothing, or there is no such schema.
    """
    path = KINDS_DIR / f"{kind}.v{version}.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if "x-time-window" in schema:
        start, end = schema["x-time-window"]
        return (start,), end
    if "x-moment" in schema:
        moment = schema["x-moment"]
        fields = (moment,) if isinstance(moment, str) else tuple(moment or ())
        return fields, None
    return None


def step_time(entry: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """When a record says its step took place, as a window; the claimed time when it says nothing.

    Records are often written after the fact (a service record typed up back at the office), so
    the moment the record describes matters, not the moment it was submitted.
    """
    body = entry.get("payload") or {}
    kind = entry.get("kind", "")
    declared = _schema_times(kind, int(entry.get("kind_version") or 1))
    if declared is None:
        # A kind that declares nothing: the conventional names, if the record has them.
        starts, end_field = ("started_at",), "ended_at"
    else:
        starts, end_field = declared
    start = next((t for t in (_moment(body.get(f)) for f in starts) if t is not None), None)
    if start is not None:
        end = _moment(body.get(end_field)) if end_field else None
        if end_field is None:
            return start - POINT_SLACK, start + POINT_SLACK
        if end is None or end < start:
            end = start + POINT_SLACK
        return start, end
    point = _moment((entry.get("claimed") or {}).get("time")) or _moment(entry.get("received_at"))
    if point is None:
        return None
    return point - POINT_SLACK, point + POINT_SLACK


def step_windows(
    case_id: str, entries: list[dict[str, Any]], pack: RulePack | None
) -> list[StepWindow]:
    """The time windows of a case's record entries (latest version of each), by pack step."""
    opened = next((e for e in entries if e.get("kind") == "case.opened"), None)
    payload = (opened or {}).get("payload") or {}
    title, number = payload.get("title", ""), payload.get("number")
    corrected = {(e.get("corrects") or {}).get("hash") for e in entries} - {None}
    step_of: dict[str, str] = {}
    if pack is not None:
        for step_id, step in pack.steps.items():
            for kind in step["any_of"]:
                step_of.setdefault(kind, step_id)
    windows = []
    for entry in entries:
        kind = entry.get("kind", "")
        if not kind.startswith("record.") or entry["hash"] in corrected:
            continue
        window = step_time(entry)
        if window is None:
            continue
        start, end = window
        windows.append(
            StepWindow(case_id, title, number, step_of.get(kind), kind, entry["hash"], start, end)
        )
    return windows


def propose(
    started_at: datetime | None, ended_at: datetime | None, windows: list[StepWindow]
) -> list[Proposal]:
    """Steps whose window overlaps the recording, most overlap first."""
    if started_at is None or ended_at is None:
        return []
    begin, end = started_at - MATCH_SLACK, ended_at + MATCH_SLACK
    found = []
    for w in windows:
        if (min(end, w.ended_at) - max(begin, w.started_at)).total_seconds() > 0:
            overlap = (min(ended_at, w.ended_at) - max(started_at, w.started_at)).total_seconds()
            found.append(
                Proposal(
                    w.case_id,
                    w.case_title,
                    w.case_number,
                    w.step,
                    w.kind,
                    w.entry_hash,
                    max(int(overlap), 0),
                )
            )
    return sorted(found, key=lambda p: (-p.overlap_s, p.case_id, p.for_entry))


# -- deadlines and retention ---------------------------------------------------------------


def upload_deadline(
    pack: RulePack,
    ended_at: datetime,
    imported_at: datetime,
    remote_area_return_at: datetime | None = None,
    remote_reason: str | None = None,
) -> dict[str, Any]:
    """The pack's AV upload deadline running from the end of the recording, as stored in custody.

    The rule itself is the evidence domain's (`deadlines.upload_deadline`, shared with phone
    captures); this adds the citation and the rule in words for the people reading the entry.
    """
    due = deadlines.upload_deadline(
        pack.deadlines, ended_at, imported_at, remote_area_return_at, remote_reason
    )
    rule = pack.deadlines["av_upload"]
    if due.basis == "remote_area_return":
        remote = pack.deadlines.get("av_upload_remote_return", {"hours": 24})
        zh, en = f"返回后{remote['hours']}小时内", f"within {remote['hours']} h of return"
        citation = remote.get("citation")
    elif due.basis == "hours":
        zh, en, citation = f"{rule['hours']}小时内", f"within {rule['hours']} h", rule["citation"]
    else:
        n = rule["working_days"]
        zh, en, citation = f"{n}个工作日内", f"within {n} working days", rule["citation"]
    return {
        **due.to_json(),
        "late": due.late,
        "rule_zh": f"音像记录应在{zh}上传",
        "rule_en": f"AV must be uploaded {en}",
        "citation": citation,
    }


_PERIOD = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<d>\d+)D)?$")


def _add_months(start: datetime, months: int) -> datetime:
    # 31 August + 6 months is 28/29 February: never later than the period says.
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)[1]))


def retention(pack: RulePack, klass: str, since: datetime | None) -> dict[str, Any]:
    """A retention class of the pack with the date it runs to (None when tied to the dossier)."""
    rule = next((r for r in pack.data.get("retention", []) if r["class"] == klass), None)
    if rule is None:
        return {"class": klass, "period": None, "until": None, "citation": None}
    match = _PERIOD.match(rule["period"])
    until = None
    if match and since is not None:
        years, months, days = (int(match[g] or 0) for g in "ymd")
        until = utc_iso(_add_months(since, years * 12 + months) + timedelta(days=days))
    return {
        "class": klass,
        "period": rule["period"],
        "until": until,
        "citation": rule["citation"],
    }


# -- imports on the ledger -----------------------------------------------------------------


def agency_timeline(agency_id: str) -> str:
    return f"agency:{agency_id}"


@dataclass(frozen=True)
class ImportRequest:
    """One file an officer hands over, after its bytes went through the upload path."""

    client_id: str
    sha256: str
    filename: str
    media_type: str
    size: int | None = None
    device: str | None = None
    officer: str | None = None
    computer: str | None = None
    via: str = "browser"
    file_modified_at: datetime | None = None
    late_reason: str | None = None
    late_reason_text: str | None = None
    remote_area_return_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_request(req: ImportRequest) -> None:
    if not _HEX64.match(req.sha256 or ""):
        raise Invalid("sha256 must be 64 lowercase hex digits", code="bad_sha256")
    base = Path(req.filename.replace("\\", "/")).name
    if not base or base in (".", "..") or len(base) > 255 or "\x00" in base:
        raise Invalid("filename must be a plain file name", code="bad_filename")
    if req.late_reason is not None and req.late_reason not in LATE_REASONS:
        raise Invalid(
            f"late_reason must be one of {', '.join(LATE_REASONS)}", code="bad_late_reason"
        )
    if req.via not in ("cli", "browser"):
        raise Invalid("via must be cli or browser", code="bad_via")


async def imports_of(agency_id: str, sha256: str | None = None) -> list[Entry]:
    """Custody entries of an agency's recordings (of one file when sha256 is given)."""
    if sha256 is None:
        return await reads.of_kinds([agency_timeline(agency_id)], [IMPORTED])
    found = await reads.naming(sha256, kinds=[IMPORTED], case_ids=[agency_timeline(agency_id)])
    return [e for e in found if e.payload.get("sha256") == sha256]


async def links_of(agency_id: str, sha256: str | None = None) -> list[Entry]:
    """`recording.linked` entries on the agency's cases (of one file when sha256 is given)."""
    found = await (
        reads.of_kinds_anywhere([LINKED])
        if sha256 is None
        else reads.naming(sha256, kinds=[LINKED])
    )
    return [
        e
        for e in found
        if e.payload.get("agency_id") == agency_id
        and (sha256 is None or e.payload.get("sha256") == sha256)
    ]


async def _device(number: str | None, agency_id: str) -> dict[str, Any] | None:
    """The registry's record of a recorder or fixed camera (numbers compared by `device_key`)."""
    if not number or not devices.device_key(number):
        return None
    try:
        return await devices.get_device(agency_id, number)
    except NotFound:
        return None


async def officer_cases(agency_id: str, staff_id: str) -> list[str]:
    """The agency's cases the staff member is on now (identity's membership, removals applied)."""
    return await member_case_ids(staff_id, agency_id)


async def officer_windows(
    ledger: Ledger, agency_id: str, staff_id: str, pack: RulePack | None
) -> list[StepWindow]:
    windows: list[StepWindow] = []
    for case_id in await officer_cases(agency_id, staff_id):
        entries = [{"hash": e.hash, **e.body} for e in await ledger.whole_timeline(case_id)]
        opened = next((e for e in entries if e["kind"] == "case.opened"), None)
        if opened is None or opened["payload"].get("agency_id") != agency_id:
            continue
        windows += step_windows(case_id, entries, pack)
    return windows


def media_info(facts: dict[str, Any]) -> MediaInfo:
    """The media probe's facts as the upload path stored them."""
    created = _moment(facts.get("created_at"))
    return MediaInfo(
        duration_s=facts.get("duration_s"),
        container=facts.get("container") or "",
        video_codec=facts.get("video_codec"),
        audio_codec=facts.get("audio_codec"),
        width=facts.get("width"),
        height=facts.get("height"),
        created_at=created,
        has_video=bool(facts.get("has_video")),
        has_audio=bool(facts.get("has_audio")),
    )


def _import_view(entry: Entry, links: list[Entry]) -> dict[str, Any]:
    return {
        "entry_hash": entry.hash,
        "imported_at": utc_iso(entry.received_at),
        "imported_by": entry.body.get("actor"),
        **entry.payload,
        "cases": [
            {"case_id": link.case_id, "entry_hash": link.hash, "step": link.payload.get("step")}
            for link in links
        ],
    }


async def import_recording(
    ledger: Ledger,
    uploads: UploadStore,
    pack: RulePack,
    *,
    agency_id: str,
    actor: str,
    req: ImportRequest,
) -> dict[str, Any]:
    """Write the custody entry of one uploaded recording and propose the cases it belongs to.

    A file already imported is reported as a duplicate (and the second hand-over is itself recorded,
    since officers must not keep copies); a resend of the same import returns the first answer.
    """
    check_request(req)
    filename = Path(req.filename.replace("\\", "/")).name
    earlier = await imports_of(agency_id, req.sha256)
    if earlier:
        original = earlier[0]
        links = await links_of(agency_id, req.sha256)
        if original.body["client_id"] == req.client_id:
            return await recording_answer(ledger, pack, agency_id, original, links, "imported")
        dup = await ledger.append(
            Draft(
                case_id=agency_timeline(agency_id),
                kind=DUPLICATE,
                client_id=req.client_id,
                payload={
                    "sha256": req.sha256,
                    "original_entry": original.hash,
                    "filename": filename,
                    "via": req.via,
                    "computer": req.computer,
                    "device": devices.device_key(req.device or "") or None,
                },
                actor=actor,
            )
        )
        answer = await recording_answer(ledger, pack, agency_id, original, links, "duplicate")
        answer["duplicate_entry"] = dup.hash
        return answer
    upload = await uploads.find(actor, agency_timeline(agency_id), req.client_id)
    if upload is None:
        raise NotFound(
            f"{filename}：请先上传文件再导入 / upload the file before importing it",
            code="upload_not_found",
        )
    upload = await uploads.ensure_complete(upload)
    if not upload.complete:
        raise Conflict(
            f"{filename}：文件尚未传完（{upload.offset}/{upload.length} 字节）"
            f" / the upload has {upload.offset} of {upload.length} bytes",
            code="upload_incomplete",
            detail={"offset": upload.offset, "length": upload.length},
        )
    if upload.sha256 != req.sha256:
        raise Conflict(
            "哈希值与已上传的文件不符 / sha256 differs from the uploaded file's",
            code="sha256_mismatch",
        )
    media = upload.facts.get("media")
    if upload.kind not in ("video", "audio") or not media:
        raise UnsupportedMedia(
            f"{filename}：不是录音或录像文件 / not an audio or video recording",
            code="not_a_recording",
        )
    info = media_info(media)
    mime, size = upload.facts.get("media_type", upload.media_type), upload.length
    name = parse_recorder_name(filename)
    times = recording_times(info, name, req.file_modified_at)
    asked = req.device or (name.device if name else None)
    registered = await _device(asked, agency_id)
    # An unregistered recorder is named by its key, so a later registration under any spelling
    # of the number matches what the custody entry says.
    device_number = registered["number"] if registered else devices.device_key(asked or "") or None
    officer = req.officer or (registered or {}).get("assigned_to") or actor
    now = ledger.clock()
    deadline = (
        upload_deadline(
            pack,
            times.ended_at,
            now,
            req.remote_area_return_at,
            req.late_reason_text or req.late_reason,
        )
        if times.ended_at
        else None
    )
    notes = list(times.notes)
    if deadline is not None and deadline["late"] and not req.late_reason:
        notes.append("late_without_reason")
    if device_number and registered is None:
        notes.append("device_not_registered")
    payload: dict[str, Any] = {
        "sha256": req.sha256,
        "size": size,
        "filename": filename,
        "media_type": mime,
        "via": req.via,
        "computer": req.computer,
        "device": {
            "number": device_number,
            "registered": registered is not None,
            "type": (registered or {}).get("type"),
        },
        "officer": officer,
        "officer_number": name.officer if name else None,
        "file_name": name.to_json() if name else None,
        "container": {
            "format": info.container,
            "created_at": utc_iso(info.created_at) if info.created_at else None,
            "duration_s": info.duration_s,
            "video_codec": info.video_codec,
            "audio_codec": info.audio_codec,
            "width": info.width,
            "height": info.height,
        },
        "file_modified_at": utc_iso(req.file_modified_at) if req.file_modified_at else None,
        "started_at": utc_iso(times.started_at) if times.started_at else None,
        "ended_at": utc_iso(times.ended_at) if times.ended_at else None,
        "time_source": times.source,
        "deadline": deadline,
        "late_reason": req.late_reason,
        "late_reason_text": req.late_reason_text,
        "remote_area_return_at": utc_iso(req.remote_area_return_at)
        if req.remote_area_return_at
        else None,
        "retention": retention(pack, "patrol_av", times.ended_at or now),
        "notes": notes,
    }
    entry = await ledger.append(
        Draft(
            case_id=agency_timeline(agency_id),
            kind=IMPORTED,
            client_id=req.client_id,
            payload=payload,
            actor=actor,
            device=device_number,
            claimed={
                "time": utc_iso(times.ended_at) if times.ended_at else None,
                "clock_offset_ms": None,
                "geo": None,
            },
            blobs=(req.sha256,),
        )
    )
    return await recording_answer(ledger, pack, agency_id, entry, [], "imported")


async def recording_answer(
    ledger: Ledger,
    pack: RulePack,
    agency_id: str,
    entry: Entry,
    links: list[Entry],
    status: str,
) -> dict[str, Any]:
    payload = entry.payload
    windows = await officer_windows(ledger, agency_id, payload["officer"], pack)
    proposals = propose(_moment(payload["started_at"]), _moment(payload["ended_at"]), windows)
    linked = {(link.case_id, link.payload.get("for_entry")) for link in links}
    return {
        "status": status,
        "recording": _import_view(entry, links),
        "proposals": [
            {**p.to_json(), "linked": (p.case_id, p.for_entry) in linked} for p in proposals
        ],
    }


async def link_recording(
    ledger: Ledger,
    pack: RulePack,
    *,
    agency_id: str,
    actor: str,
    sha256: str,
    case_id: str,
    client_id: str,
    step: str | None = None,
    for_entry: str | None = None,
    proposed: bool = True,
) -> Entry:
    """Reference an imported recording from a case; the recording then follows the case's retention."""
    if not _HEX64.match(sha256 or ""):
        raise Invalid("sha256 must be 64 lowercase hex digits", code="bad_sha256")
    earlier = await imports_of(agency_id, sha256)
    if not earlier:
        raise NotFound("no imported recording with this hash", code="recording_not_found")
    original = earlier[0]
    head = await ledger.timeline(case_id, -1, 1)
    if not head or head[0].kind != "case.opened" or head[0].payload.get("agency_id") != agency_id:
        raise NotFound("no such case", code="case_not_found")
    if for_entry is not None:
        try:
            target = await ledger.get(for_entry)
        except NotFound:
            target = None
        if target is None or target.case_id != case_id:
            raise Invalid("for_entry is not an entry of this case", code="bad_for_entry")
        # Like media.* entries, `step` names the record kind the recording belongs to.
        step = target.kind
    pack_step = next((k for k, v in pack.steps.items() if step in v["any_of"]), None)
    for link in await links_of(agency_id, sha256):
        if link.case_id == case_id and link.payload.get("for_entry") == for_entry:
            if link.body["client_id"] == client_id:
                return link
            raise Conflict(
                "this recording is already linked to this case step",
                code="already_linked",
                detail={"entry_hash": link.hash},
            )
    rec = original.payload
    return await ledger.append(
        Draft(
            case_id=case_id,
            kind=LINKED,
            client_id=client_id,
            payload={
                "agency_id": agency_id,
                "sha256": sha256,
                "imported_entry": original.hash,
                "imported_at": utc_iso(original.received_at),
                "filename": rec["filename"],
                "media_type": rec["media_type"],
                "device": rec["device"]["number"],
                "officer": rec["officer"],
                "started_at": rec["started_at"],
                "ended_at": rec["ended_at"],
                "deadline": rec["deadline"],
                "step": step,
                "pack_step": pack_step,
                "for_entry": for_entry,
                "proposed": proposed,
                "retention": {
                    **retention(pack, "evidence_av", None),
                    "replaces": rec["retention"]["class"],
                },
            },
            actor=actor,
            device=rec["device"]["number"],
            claimed={"time": rec["ended_at"], "clock_offset_ms": None, "geo": None},
            blobs=(sha256,),
        )
    )


async def recordings(
    agency_id: str, *, officer: str | None = None, unassigned: bool = False
) -> list[dict[str, Any]]:
    """An agency's imported recordings with custody, deadline status and the cases they are on."""
    links_by_sha: dict[str, list[Entry]] = {}
    for link in await links_of(agency_id):
        links_by_sha.setdefault(link.payload["sha256"], []).append(link)
    out = []
    for entry in await imports_of(agency_id):
        if officer is not None and entry.payload.get("officer") != officer:
            continue
        links = links_by_sha.get(entry.payload["sha256"], [])
        if unassigned and links:
            continue
        out.append(_import_view(entry, links))
    return out


def now_utc() -> datetime:
    return datetime.now(UTC)


# -- import tokens for the command-line tool -----------------------------------------------

TOKEN_KIND = "recording.import_token"
TOKEN_PREFIX = "ctimp_"
TOKEN_HOURS = 12
MAX_TOKEN_HOURS = 24
# What an import token may reach: the shared upload path and the recording routes, nothing else.
TOKEN_PATHS = ("/api/uploads", "/api/recordings", "/api/time")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_import_token(
    ledger: Ledger,
    *,
    agency_id: str,
    staff_id: str,
    label: str | None = None,
    hours: int = TOKEN_HOURS,
) -> dict[str, Any]:
    """A new single-purpose token for `casetrail import`, shown once; the ledger keeps its hash."""
    if not 1 <= hours <= MAX_TOKEN_HOURS:
        raise Invalid(f"an import token lasts 1 to {MAX_TOKEN_HOURS} hours", code="bad_token_hours")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = ledger.clock() + timedelta(hours=hours)
    entry = await ledger.append(
        Draft(
            case_id=agency_timeline(agency_id),
            kind=TOKEN_KIND,
            client_id=f"import-token:{uuid.uuid4()}",
            payload={
                "token_sha256": token_digest(token),
                "officer": staff_id,
                "scope": "recording.import",
                "expires_at": utc_iso(expires_at),
                "label": label,
            },
            actor=staff_id,
        )
    )
    return {
        "token": token,
        "officer": staff_id,
        "expires_at": utc_iso(expires_at),
        "entry_hash": entry.hash,
    }


async def import_token_holder(token: str, now: datetime | None = None) -> tuple[str, str] | None:
    """(agency_id, staff_id) of a valid, unexpired import token; None otherwise."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    digest = token_digest(token)
    found = await reads.naming(digest, kinds=[TOKEN_KIND])
    now = now or datetime.now(UTC)
    for entry in found:
        payload = entry.payload
        if not secrets.compare_digest(payload.get("token_sha256", ""), digest):
            continue
        if parse_iso(payload["expires_at"]) <= now:
            return None
        return entry.case_id.removeprefix("agency:"), payload["officer"]
    return None


def token_reaches(path: str) -> bool:
    """Whether a request path is inside an import token's scope."""
    return any(path == p or path.startswith(p + "/") for p in TOKEN_PATHS)


async def token_principal(authorization: str | None, path: str) -> Principal | None:
    """The officer behind `Authorization: Bearer <import token>` for a path in the token's scope.

    For the identity domain's authentication to call (and this domain's own routes): the token
    acts as its officer with the officer role only, and only on `TOKEN_PATHS`.
    """
    if not authorization or not token_reaches(path):
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    holder = await import_token_holder(token.strip())
    if holder is None:
        return None
    agency_id, staff_id = holder
    from backend.identity.staff import principal_of_row
    from backend.identity.tables import Staff

    # Deactivated staff lose their tokens at once, like their sessions.
    row = await Staff.select().where(Staff.staff_id == staff_id).first()
    if row is None or not row["active"] or row["agency_id"] != agency_id:
        return None
    principal = principal_of_row(row)
    if "officer" not in principal.roles:
        return None
    return Principal(
        staff_id=principal.staff_id,
        agency_id=principal.agency_id,
        name=principal.name,
        roles=frozenset({"officer"}),
    )
