"""Body-worn recorder and fixed-camera file names: which convention, device, officer number, times.

Times in file names are the recorder's local Beijing time. Supported conventions:

  device_officer_time   <device>_<officer>_<YYYYMMDDHHMMSS>[_<n>].<ext>   e.g. 3301A07_012345_20261120093000.MP4
  dsj_device_time       DSJ_<device>_<YYYYMMDD>_<HHMMSS>[_<n>].<ext>      e.g. DSJ_0123456_20261120_093000.mp4
  nvr_export            <device>_<YYYYMMDDHHMMSS>_<YYYYMMDDHHMMSS>.<ext>  e.g. XW01_20261120093000_20261120101500.mp4
  timestamp             [<prefix>_]<YYYYMMDD>_<HHMMSS>[_<n>].<ext>        e.g. 20261120_093000_0001.MP4
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from backend.ledger.entry import utc_iso

BEIJING = ZoneInfo("Asia/Shanghai")
_EXT = r"\.(?P<ext>mp4|mov|m4v|3gp|avi|mkv|ts|webm|wav|mp3|m4a|aac|ogg)"


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


def base_name(filename: str) -> str:
    """The file's own name, whether the computer that sent it writes `\\` or `/` between folders."""
    return Path(filename.replace("\\", "/")).name


def _local(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)


def parse_recorder_name(filename: str) -> RecorderName | None:
    """The first convention the file's base name fits, or None for names we do not know."""
    base = base_name(filename)
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
