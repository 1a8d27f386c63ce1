"""Working-day deadlines follow the official calendar, including National Day and make-up Saturdays."""

from __future__ import annotations

from datetime import date, datetime

import chinese_calendar

from backend.workdays import (
    BEIJING,
    add_working_days,
    calendar_published,
    end_of_day,
    is_working_day,
    weekday_fallback_years,
)


def test_the_library_agrees_on_national_day_2025():
    assert chinese_calendar.is_holiday(date(2025, 10, 8))
    assert chinese_calendar.is_workday(date(2025, 10, 11))  # Saturday, make-up working day


def test_capture_on_the_eve_of_national_day_counts_working_days_after_the_holiday():
    captured = datetime(2025, 9, 30, 16, 30, tzinfo=BEIJING)
    assert add_working_days(captured, 1) == datetime(2025, 10, 9, 16, 30, tzinfo=BEIJING)
    assert add_working_days(captured, 2) == datetime(2025, 10, 10, 16, 30, tzinfo=BEIJING)


def test_the_make_up_saturday_counts_as_a_working_day():
    friday = datetime(2025, 10, 10, 9, 0, tzinfo=BEIJING)
    assert is_working_day(date(2025, 10, 11))
    assert add_working_days(friday, 1).date() == date(2025, 10, 11)
    assert add_working_days(friday, 2).date() == date(2025, 10, 13)


def test_an_ordinary_weekend_is_skipped():
    assert not is_working_day(date(2025, 3, 8))
    assert add_working_days(datetime(2025, 3, 7, 10, 0), 2) == datetime(2025, 3, 11, 10, 0)


def test_utc_input_is_counted_on_the_beijing_calendar():
    # 2025-09-30 18:00 UTC is already 1 October (a holiday) in Beijing
    late_evening = datetime.fromisoformat("2025-09-30T18:00:00+00:00")
    assert add_working_days(late_evening, 1).date() == date(2025, 10, 9)
    assert end_of_day(late_evening) == datetime(2025, 10, 1, 23, 59, 59, 999999, tzinfo=BEIJING)


def test_years_without_a_published_calendar_fall_back_to_weekdays_and_say_so():
    year = 2004
    while calendar_published(year):
        year += 1
    friday = datetime(year, 1, 1)
    while friday.weekday() != 4:
        friday = friday.replace(day=friday.day + 1)
    result = add_working_days(friday, 1)
    assert result.weekday() == 0
    assert weekday_fallback_years(friday, result) == [year]
    assert weekday_fallback_years(datetime(2025, 1, 2), datetime(2025, 1, 6)) == []
