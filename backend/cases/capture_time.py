"""When a piece of media was made (server clock): what compliance and evidence intake count from."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from backend.moments import parse_iso

# Times the media itself carries, as findings record them; naive EXIF wall-clock times are left out
# because their time zone is a guess.
_MEDIA_TIMES = ("container_time", "exif_time")


def capture_moment(
    claimed: dict[str, Any] | None, findings: list[dict[str, Any]] | None
) -> tuple[datetime | None, str]:
    """When the media was made, on the server's clock, and what says so.

    The earliest of the device's claim (corrected by its measured clock offset) and any time the
    file itself records: a phone whose clock or claim says "now" cannot make a three-day-old
    recording look fresh, so the upload deadline counts from the oldest credible moment.
    """
    moments: list[tuple[datetime, str]] = []
    if claimed and claimed.get("time"):
        offset = timedelta(milliseconds=claimed.get("clock_offset_ms") or 0)
        moments.append((parse_iso(claimed["time"]) + offset, "device_claim"))
    for finding in findings or []:
        detail = finding.get("detail") or {}
        for key in _MEDIA_TIMES:
            value = detail.get(key)
            if not isinstance(value, str):
                continue
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is not None:
                moments.append((moment, key))
    if not moments:
        return None, "none"
    return min(moments)
