"""A full window says when its client may come back: when the oldest counted hit leaves it."""

from __future__ import annotations

from backend import throttle
from backend.throttle import SlidingWindow


async def test_retry_after_is_when_the_oldest_hit_over_the_limit_leaves_the_window(monkeypatch):
    # One process's window (SQLite's), counted in memory on this test's clock: tables an earlier
    # test bound to PostgreSQL must not turn it into the shared one, which counts on the wall clock.
    monkeypatch.setattr(throttle, "_shared", lambda: False)
    now = [100.0]
    window = SlidingWindow("test", 2, 60, clock=lambda: now[0])
    assert await window.retry_after("ip") == 0  # not full: no wait
    await window.hit("ip")
    now[0] = 130.0
    await window.hit("ip")
    now[0] = 140.0
    assert await window.full("ip")
    assert await window.retry_after("ip") == 20  # the hit at 100 leaves at 160
    now[0] = 160.5
    assert not await window.full("ip") and await window.retry_after("ip") == 0
    assert await window.retry_after("another ip") == 0
