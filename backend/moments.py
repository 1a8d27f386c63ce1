"""Moments as the ledger and the API write them: ISO 8601 text, and times that always carry a zone.

Entries, payloads and database rows hold some times without an offset (SQLite hands back naive
datetimes; older payloads wrote plain ISO text). CaseTrail reads every such time as UTC, in one
place, so comparing two moments never fails on "can't compare offset-naive and offset-aware".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time (a trailing `Z` allowed) as an aware datetime; no offset means UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@overload
def aware(moment: None) -> None: ...
@overload
def aware(moment: datetime | str) -> datetime: ...
def aware(moment: datetime | str | None) -> datetime | None:
    """`moment` with a time zone (a naive one, or ISO text without an offset, is taken as UTC);
    None stays None, for optional columns such as a deadline not yet set."""
    if moment is None:
        return None
    if isinstance(moment, str):
        return parse_iso(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
