"""Upload deadlines for audio-visual evidence from the agency's rule pack, and how late an upload was.

A pack says either `{"hours": 24}` or `{"working_days": 2}` (official Chinese working days, via
backend.workdays, counted to the end of the last day), plus the remote-area exception
`av_upload_remote_return: {"hours": 24}` counted from the officer's return, which applies only
when a reason is recorded. Late uploads are flagged, never refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend import workdays
from backend.errors import Invalid
from backend.ledger.entry import utc_iso


@dataclass(frozen=True)
class UploadDeadline:
    """When an upload was due, and by how many hours it missed that."""

    deadline: datetime
    late_by_h: float
    basis: str  # "hours", "working_days" or "remote_area_return"
    reason: str | None = None
    notes: tuple[str, ...] = ()
    # The rule in words and its citation, for the people reading a recording's custody entry.
    rule_zh: str = ""
    rule_en: str = ""
    citation: str | None = None

    @property
    def late(self) -> bool:
        return self.late_by_h > 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "deadline": utc_iso(self.deadline),
            "late_by_h": self.late_by_h,
            "basis": self.basis,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def to_custody_json(self) -> dict[str, Any]:
        """As a recorder file's custody entry stores it: with `late`, the rule in words, its citation."""
        return {
            **self.to_json(),
            "late": self.late,
            "rule_zh": f"音像记录应在{self.rule_zh}上传",
            "rule_en": f"AV must be uploaded {self.rule_en}",
            "citation": self.citation,
        }


def upload_deadline(
    deadlines: dict[str, Any],
    captured_at: datetime,
    uploaded_at: datetime,
    remote_return_at: datetime | None = None,
    remote_reason: str | None = None,
) -> UploadDeadline:
    """The deadline for media captured at `captured_at` (server clock) and uploaded at `uploaded_at`.

    `deadlines` is the pack's `deadlines` object. The remote-area exception needs both the return
    time and a reason; a return time without a reason is refused as malformed.
    """
    for name, value in (("captured_at", captured_at), ("uploaded_at", uploaded_at)):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    rule = deadlines["av_upload"]
    notes: tuple[str, ...] = ()
    reason = (remote_reason or "").strip() or None
    if remote_return_at is not None:
        if reason is None:
            raise Invalid(
                "the remote-area exception needs the reason the upload waited",
                code="remote_reason_required",
            )
        if remote_return_at.tzinfo is None:
            raise Invalid("remote_area_return_at needs a time zone", code="bad_remote_return")
        if remote_return_at < captured_at:
            raise Invalid(
                "the return from a remote area cannot precede the capture",
                code="bad_remote_return",
            )
        remote = deadlines.get("av_upload_remote_return", {"hours": 24})
        hours = remote["hours"]
        due = remote_return_at + timedelta(hours=hours)
        basis = "remote_area_return"
        zh, en, citation = (
            f"返回后{hours}小时内",
            f"within {hours} h of return",
            remote.get("citation"),
        )
    elif "hours" in rule:
        due = captured_at + timedelta(hours=rule["hours"])
        basis = "hours"
        zh, en = f"{rule['hours']}小时内", f"within {rule['hours']} h"
        citation = rule.get("citation")
    else:
        n = rule["working_days"]
        due = workdays.end_of_day(workdays.add_working_days(captured_at, n))
        basis = "working_days"
        zh, en, citation = f"{n}个工作日内", f"within {n} working days", rule.get("citation")
        notes = tuple(
            f"calendar not published for {year}; weekdays used"
            for year in workdays.weekday_fallback_years(captured_at, due)
        )
    late_s = (uploaded_at - due).total_seconds()
    return UploadDeadline(
        deadline=due,
        late_by_h=round(late_s / 3600, 2) if late_s > 0 else 0.0,
        basis=basis,
        reason=reason if basis == "remote_area_return" else None,
        notes=notes,
        rule_zh=zh,
        rule_en=en,
        citation=citation,
    )
