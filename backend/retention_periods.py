"""Retention periods as rule packs write them (`P2Y`, `P6M`, `P30D`, `permanent`), added to a date.

One grammar for the whole server: review's disposal schedule and the recordings' custody entries
both count a pack's periods here, so a period means the same wherever it is read.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import datetime, timedelta

from backend.errors import Invalid

PERIOD = re.compile(r"^P(?P<n>[0-9]+)(?P<unit>[YMD])$")


def add_period(start: datetime, period: str) -> datetime | None:
    """`P2Y`, `P6M`, `P30D` added to `start`; None for `permanent`; Invalid for anything else."""
    if period == "permanent":
        return None
    match = PERIOD.match(period)
    if not match:
        raise Invalid(f"unknown retention period {period}", code="bad_period")
    n, unit = int(match["n"]), match["unit"]
    if unit == "D":
        return start + timedelta(days=n)
    months = n * 12 if unit == "Y" else n
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    # 29 Feb plus one year is 28 Feb: never later than the period says, never earlier by more than days.
    return start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)[1]))
