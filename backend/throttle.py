"""Sliding-window limits per client address, counted across every worker and server.

On SQLite CaseTrail is one process, and the windows live in its memory. On PostgreSQL there may
be several workers and servers behind a proxy: each would keep its own windows and the limit would
multiply by their number, so every hit is a row in `throttle_hit` and a window is a count of rows.
The throttled routes (a party opening its link, a sign-in) are rare next to appends, so a row per
hit costs little, and a restart forgets nothing (see docs/decisions.md for why not Redis).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from piccolo.columns import Timestamptz, Varchar
from piccolo.engine.base import Engine
from piccolo.table import Table

from backend.database import is_postgres

# Hits older than the longest window are deleted now and then, by whoever hits.
_KEEP = timedelta(hours=1)
_SWEEP_EVERY_S = 60.0


class ThrottleHit(Table, tablename="throttle_hit"):
    """One counted request (or failure) of one client address in one named window."""

    bucket = Varchar(length=200, index=True)
    at = Timestamptz(index=True)


async def create_throttle_tables(engine: Engine) -> None:
    await ThrottleHit.create_table(if_not_exists=True)


def _shared() -> bool:
    engine = ThrottleHit._meta._db  # unbound (a unit test): memory
    return engine is not None and is_postgres(engine)


@dataclass
class SlidingWindow:
    """At most `limit` events per `window_s` seconds for each key (a client address)."""

    name: str
    limit: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    # Hits before this (wall clock) are not counted: `reset` for tests and an operator's console.
    _since: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    _swept: float = 0.0

    def _trim(self, key: str) -> deque[float]:
        events = self._events[key]
        horizon = self.clock() - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        if not events:
            del self._events[key]
            return self._events[key]
        return events

    def _bucket(self, key: str) -> str:
        return f"{self.name}:{key}"[:200]

    async def count(self, key: str) -> int:
        """Events of `key` within the window, on every worker and server."""
        if not _shared():
            return len(self._trim(key))
        now = datetime.now(UTC)
        horizon = max(now - timedelta(seconds=self.window_s), self._since)
        rows = await ThrottleHit.raw(
            "SELECT COUNT(*) AS n FROM throttle_hit WHERE bucket = {} AND at > {}",
            self._bucket(key),
            horizon,
        )
        return int(rows[0]["n"])

    async def full(self, key: str) -> bool:
        return await self.count(key) >= self.limit

    async def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may be counted again (the oldest hit over the limit leaves)."""
        if not _shared():
            events = self._trim(key)
            over = len(events) - self.limit
            if over < 0:
                return 0
            return max(1, math.ceil(events[over] + self.window_s - self.clock()))
        now = datetime.now(UTC)
        horizon = max(now - timedelta(seconds=self.window_s), self._since)
        over = await self.count(key) - self.limit
        if over < 0:
            return 0
        rows = await ThrottleHit.raw(
            "SELECT at FROM throttle_hit WHERE bucket = {} AND at > {} ORDER BY at LIMIT 1 OFFSET {}",
            self._bucket(key),
            horizon,
            over,
        )
        if not rows:  # swept meanwhile: free again
            return 0
        left = rows[0]["at"] + timedelta(seconds=self.window_s) - now
        return max(1, math.ceil(left.total_seconds()))

    async def hit(self, key: str) -> None:
        if not _shared():
            self._trim(key).append(self.clock())
            return
        now = datetime.now(UTC)
        await ThrottleHit.raw(
            "INSERT INTO throttle_hit (bucket, at) VALUES ({}, {})", self._bucket(key), now
        )
        if self.clock() - self._swept >= _SWEEP_EVERY_S:
            self._swept = self.clock()
            await ThrottleHit.raw("DELETE FROM throttle_hit WHERE at < {}", now - _KEEP)

    def reset(self) -> None:
        self._events.clear()
        self._since = datetime.now(UTC)
