"""Recorder imports: the custody entry of each file an officer hands over, and the answer about it.

Body-worn recorders (执法记录仪) and fixed cameras in inquiry and hearing rooms leave files on a
computer; an officer imports them after a shift. Every file is hashed and uploaded through the one
resumable upload path, then `import_recording` writes its custody entry (`recording.imported`) on the
agency timeline `agency:<id>` — once per file, whoever imports it again — with the recording's own
times, its upload deadline and the patrol retention class. Linking it to a case (links.py) is what
moves it to the case's retention.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from backend.cases.lifecycle import pack_for
from backend.cases.rules import RulePack
from backend.errors import Invalid, NotFound, UnsupportedMedia
from backend.evidence import devices
from backend.evidence.deadlines import upload_deadline
from backend.evidence.uploads import UploadStore
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger
from backend.ledger.timelines import agency_timeline
from backend.moments import parse_iso
from backend.recordings.custody_entries import DUPLICATE, IMPORTED, imports_of, links_of
from backend.recordings.file_names import base_name, parse_recorder_name
from backend.recordings.matching import officer_windows, propose
from backend.recordings.recording_times import media_info, moment, recording_times
from backend.recordings.retention import retention
from backend.recordings.schemas import ImportIn, RecordingAnswer

HEX64 = re.compile(r"^[0-9a-f]{64}$")
LATE_REASONS = ("remote_area", "continuous_duty", "device_fault", "other")


def check_sha256(sha256: str) -> None:
    if not HEX64.match(sha256 or ""):
        raise Invalid("sha256 must be 64 lowercase hex digits", code="bad_sha256")


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError as bad:
        raise Invalid(f"{name} must be an ISO 8601 time", code="bad_time") from bad


def check_request(req: ImportIn) -> None:
    check_sha256(req.sha256)
    base = base_name(req.filename)
    if not base or base in (".", "..") or len(base) > 255 or "\x00" in base:
        raise Invalid("filename must be a plain file name", code="bad_filename")
    if req.late_reason is not None and req.late_reason not in LATE_REASONS:
        raise Invalid(
            f"late_reason must be one of {', '.join(LATE_REASONS)}", code="bad_late_reason"
        )
    if req.via not in ("cli", "browser"):
        raise Invalid("via must be cli or browser", code="bad_via")


async def registered_device(number: str | None, agency_id: str) -> dict[str, Any] | None:
    """The registry's record of a recorder or fixed camera (numbers compared by `device_key`)."""
    if not number or not devices.device_key(number):
        return None
    try:
        return await devices.get_device(agency_id, number)
    except NotFound:
        return None


def import_view(entry: Entry, links: list[Entry]) -> dict[str, Any]:
    """A custody entry as the import page shows it: who, when, what, and the cases it is on."""
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
    *,
    agency_id: str,
    actor: str,
    req: ImportIn,
) -> RecordingAnswer:
    """Write the custody entry of one uploaded recording and propose the cases it belongs to.

    A file already imported is reported as a duplicate (and the second hand-over is itself recorded,
    since officers must not keep copies); a resend of the same import returns the first answer.
    """
    file_modified_at = _time(req.file_modified_at, "file_modified_at")
    remote_area_return_at = _time(req.remote_area_return_at, "remote_area_return_at")
    req = msgspec.structs.replace(req, sha256=req.sha256.lower())
    check_request(req)
    pack = await pack_for(agency_id)
    filename = base_name(req.filename)
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
        return msgspec.structs.replace(answer, duplicate_entry=dup.hash)
    upload = await uploads.find_complete(
        actor,
        agency_timeline(agency_id),
        req.client_id,
        req.sha256,
        missing=f"{filename}：请先上传文件再导入 / upload the file before importing it",
        incomplete=lambda u: (
            f"{filename}：文件尚未传完（{u.offset}/{u.length} 字节）"
            f" / the upload has {u.offset} of {u.length} bytes"
        ),
        mismatch="哈希值与已上传的文件不符 / sha256 differs from the uploaded file's",
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
    times = recording_times(info, name, file_modified_at)
    asked = req.device or (name.device if name else None)
    registered = await registered_device(asked, agency_id)
    # An unregistered recorder is named by its key, so a later registration under any spelling
    # of the number matches what the custody entry says.
    device_number = registered["number"] if registered else devices.device_key(asked or "") or None
    officer = req.officer or (registered or {}).get("assigned_to") or actor
    now = ledger.clock()
    deadline = (
        upload_deadline(
            pack.deadlines,
            times.ended_at,
            now,
            remote_area_return_at,
            req.late_reason_text or req.late_reason,
        )
        if times.ended_at
        else None
    )
    notes = list(times.notes)
    if deadline is not None and deadline.late and not req.late_reason:
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
        "file_modified_at": utc_iso(file_modified_at) if file_modified_at else None,
        "started_at": utc_iso(times.started_at) if times.started_at else None,
        "ended_at": utc_iso(times.ended_at) if times.ended_at else None,
        "time_source": times.source,
        "deadline": deadline.to_custody_json() if deadline else None,
        "late_reason": req.late_reason,
        "late_reason_text": req.late_reason_text,
        "remote_area_return_at": utc_iso(remote_area_return_at) if remote_area_return_at else None,
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
) -> RecordingAnswer:
    """The custody of one recording, with the case steps it probably belongs to."""
    payload = entry.payload
    windows = await officer_windows(ledger, agency_id, payload["officer"], pack)
    proposals = propose(moment(payload["started_at"]), moment(payload["ended_at"]), windows)
    linked = {(link.case_id, link.payload.get("for_entry")) for link in links}
    return RecordingAnswer(
        status=status,
        recording=import_view(entry, links),
        proposals=[
            msgspec.structs.replace(p, linked=(p.case_id, p.for_entry) in linked) for p in proposals
        ],
    )


async def read_recording(
    ledger: Ledger, agency_id: str, sha256: str, reader: str | None = None
) -> RecordingAnswer:
    """One recording's custody and proposals; `reader` (an officer) sees only their own."""
    found = await imports_of(agency_id, sha256)
    if not found or (reader is not None and found[0].payload["officer"] != reader):
        raise NotFound("no imported recording with this hash", code="recording_not_found")
    links = await links_of(agency_id, sha256)
    return await recording_answer(
        ledger, await pack_for(agency_id), agency_id, found[0], links, "imported"
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
        out.append(import_view(entry, links))
    return out
