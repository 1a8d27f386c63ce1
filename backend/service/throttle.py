"""Per-IP sliding-window limits for the public party routes.

In-memory: one process keeps its own windows. A deployment with several workers or hosts must
move these counters to a shared store (Redis, the database) or the limit multiplies by the
number of workers.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.errors import TooMany


@dataclass
class SlidingWindow:
    """At most `limit` events per `window_s` seconds for each key."""

    limit: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _trim(self, key: str) -> deque[float]:
        events = self._events[key]
        horizon = self.clock() - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        if not events:
            del self._events[key]
            return self._events[key]
        return events

    def full(self, key: str) -> bool:
        return len(self._trim(key)) >= self.limit

    def hit(self, key: str) -> None:
        self._trim(key).append(self.clock())

    def reset(self) -> None:
        self._events.clear()


@dataclass
class PartyThrottle:
    """Every request counts against `requests`; a bad token also counts against `failures`.

    Once either is full, the IP gets 429 for everything, valid token or not, so a guesser
    learns nothing from which of its guesses was refused first.
    """

    requests: SlidingWindow = field(default_factory=lambda: SlidingWindow(120, 60))
    failures: SlidingWindow = field(default_factory=lambda: SlidingWindow(10, 600))

    def admit(self, ip: str) -> None:
        if self.failures.full(ip) or self.requests.full(ip):
            raise TooMany(
                "请求过于频繁，请稍后再试 / Too many requests, try again later",
                code="too_many_requests",
            )
        self.requests.hit(ip)

    def failed(self, ip: str) -> None:
        self.failures.hit(ip)

    def reset(self) -> None:
        self.requests.reset()
        self.failures.reset()


THROTTLE = PartyThrottle()
