"""When a recording started and ended: the container's clock, the file name's, or the file's mtime."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.evidence.media_probe import MediaInfo
from backend.moments import parse_iso
from backend.recordings.file_names import RecorderName

# Two recorder clocks (container and file name) within this of each other agree.
CLOCK_TOLERANCE = timedelta(minutes=2)
# Many recorders write local wall-clock time into the MP4 creation_time, which the format says is UTC.
LOCAL_WRITTEN_AS_UTC = timedelta(hours=8)


@dataclass(frozen=True)
class RecordingTimes:
    """When a recording started and ended, and which clock said so."""

    started_at: datetime | None
    ended_at: datetime | None
    source: str  # container | file_name | file_modified | none
    notes: tuple[str, ...] = ()


def moment(value: Any) -> datetime | None:
    """A stored ISO time, or None for a missing or unreadable one (old entries, records' fields)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


def media_info(facts: dict[str, Any]) -> MediaInfo:
    """The media probe's facts as the upload path stored them."""
    return MediaInfo(
        duration_s=facts.get("duration_s"),
        container=facts.get("container") or "",
        video_codec=facts.get("video_codec"),
        audio_codec=facts.get("audio_codec"),
        width=facts.get("width"),
        height=facts.get("height"),
        created_at=moment(facts.get("created_at")),
        has_video=bool(facts.get("has_video")),
        has_audio=bool(facts.get("has_audio")),
    )


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
