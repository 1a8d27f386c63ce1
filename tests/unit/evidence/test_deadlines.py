"""Stories for AV upload deadlines: 24 hours, 2 working days, and the remote-area exception."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.errors import Invalid
from backend.evidence.deadlines import upload_deadline

BEIJING = ZoneInfo("Asia/Shanghai")
HOURS = {"av_upload": {"hours": 24}, "av_upload_remote_return": {"hours": 24}}
WORKDAYS = {"av_upload": {"working_days": 2}, "av_upload_remote_return": {"hours": 24}}


def test_video_uploaded_within_24_hours_is_on_time():
    shot = datetime(2024, 5, 6, 10, 0, tzinfo=BEIJING)
    result = upload_deadline(HOURS, shot, shot + timedelta(hours=23))
    assert result.deadline == shot + timedelta(hours=24)
    assert result.late_by_h == 0 and not result.late


def test_video_uploaded_30_hours_later_is_six_hours_late():
    shot = datetime(2024, 5, 6, 10, 0, tzinfo=BEIJING)
    assert upload_deadline(HOURS, shot, shot + timedelta(hours=30)).late_by_h == 6.0


def test_two_working_days_skip_the_may_day_holiday():
    # Captured 30 April 2024; 1–5 May are holidays, so the second working day is 7 May.
    shot = datetime(2024, 4, 30, 16, 0, tzinfo=BEIJING)
    result = upload_deadline(WORKDAYS, shot, datetime(2024, 5, 7, 20, 0, tzinfo=BEIJING))
    assert result.deadline.date().isoformat() == "2024-05-07"
    assert result.late_by_h == 0


def test_remote_area_return_moves_the_deadline_and_keeps_its_reason():
    shot = datetime(2024, 5, 6, 10, 0, tzinfo=BEIJING)
    back = shot + timedelta(days=3)
    result = upload_deadline(HOURS, shot, back + timedelta(hours=20), back, "山区无信号")
    assert result.basis == "remote_area_return"
    assert result.late_by_h == 0
    assert result.to_json()["reason"] == "山区无信号"


def test_remote_area_return_without_a_reason_is_refused():
    shot = datetime(2024, 5, 6, 10, 0, tzinfo=BEIJING)
    with pytest.raises(Invalid):
        upload_deadline(HOURS, shot, shot, shot + timedelta(days=1), " ")
