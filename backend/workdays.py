"""Working days by the official Chinese calendar (holidays and make-up working days).

The calendar comes from the maintained `chinesecalendar` package. It only knows the years the State
Council has published; for other years we fall back to Monday–Friday and say so, because a deadline
computed on guessed holidays must never look authoritative.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

BEIJING = ZoneInfo("Asia/Shanghai")


def calendar_published(year: int) -> bool:
    """True when the official holiday calendar for `year` is known to the package."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date | datetime) -> bool:
    """Official working day; Monday–Friday for years whose calendar is not published."""
    if isinstance(day, datetime):
        day = _local(day).date()
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: datetime, n: int) -> datetime:
    """The same wall-clock time on the n-th working day after `start`'s (Beijing) date.

    The start day itself is not counted (期间开始的日不计算在内). Aware datetimes are computed in
    Beijing time and returned in Beijing time; naive ones are taken as Beijing wall-clock time.
    Use `weekday_fallback_years(start, result)` to learn whether a guessed calendar was used.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    local = _local(start)
    day = local.date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def end_of_day(moment: datetime, zone: ZoneInfo = BEIJING) -> datetime:
    """The last microsecond of `moment`'s calendar day in `zone` (deadlines count whole days)."""
    local = moment if moment.tzinfo is None else moment.astimezone(zone)
    return local.replace(hour=23, minute=59, second=59, microsecond=999999)


def weekday_fallback_years(start: date | datetime, end: date | datetime) -> list[int]:
    """Years between start and end for which Monday–Friday was used instead of the official calendar."""
    first = _local(start).year if isinstance(start, datetime) else start.year
    last = _local(end).year if isinstance(end, datetime) else end.year
    return [y for y in range(first, last + 1) if not calendar_published(y)]


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(BEIJING)
