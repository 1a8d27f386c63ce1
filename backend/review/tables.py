"""Review's own tables: statistics facts per case, kept between requests and across servers."""

from __future__ import annotations

from piccolo.columns import BigInt, Text, Varchar
from piccolo.table import Table


class CaseStatFacts(Table, tablename="review_case_facts"):
    """One case's statistics facts as last computed, and what they were computed from.

    Recomputed when the case has a newer entry than `head`, or when `hour` is not the hour asked
    about: the facts weigh deadlines against the time, so they cannot be kept forever.
    """

    case_id = Varchar(length=120, unique=True)
    head = BigInt()  # the case's last log index the facts include
    hour = Varchar(length=13)  # UTC, "2026-03-01T09"
    facts = Text()  # JSON: [[month, officer, metric, count], ...]
