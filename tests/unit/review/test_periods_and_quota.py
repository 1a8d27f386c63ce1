"""Retention periods from the pack, and the spot-check quota, as the rules say them."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.review.retention import add_period
from backend.review.spotchecks import draw_sample, draw_seed, quota

RULE = {"percent": 5, "min_per_month": 3}


def test_two_years_from_a_leap_day_ends_on_the_last_day_of_february():
    assert add_period(datetime(2024, 2, 29, tzinfo=UTC), "P2Y") == datetime(2026, 2, 28, tzinfo=UTC)


def test_six_months_and_days_and_permanent():
    start = datetime(2025, 8, 31, 10, tzinfo=UTC)
    assert add_period(start, "P6M") == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert add_period(start, "P30D") == datetime(2025, 9, 30, 10, tzinfo=UTC)
    assert add_period(start, "permanent") is None


def test_the_quota_is_five_percent_but_at_least_three_and_never_more_than_there_are():
    assert quota(200, RULE) == 10
    assert quota(20, RULE) == 3
    assert quota(2, RULE) == 2
    assert quota(0, RULE) == 0


def test_the_same_candidates_give_the_same_sample_whatever_their_order():
    candidates = [f"{i:064x}" for i in range(40)]
    seed = draw_seed("pingluo-transport", "2025-03", "officer-zhang", candidates)
    assert seed == draw_seed("pingluo-transport", "2025-03", "officer-zhang", candidates[::-1])
    first = draw_sample(seed, candidates, 3)
    assert first == draw_sample(seed, list(reversed(candidates)), 3)
    assert len(set(first)) == 3
    other = draw_seed("pingluo-transport", "2025-03", "officer-li", candidates)
    assert draw_sample(other, candidates, 3) != first
