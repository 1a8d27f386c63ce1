"""Per-IP sliding-window limits for the public party routes (counted across all servers:
`backend/throttle.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.errors import TooMany
from backend.throttle import SlidingWindow


@dataclass
class PartyThrottle:
    """Every request counts against `requests`; a bad token also counts against `failures`.

    Once either is full, the IP gets 429 for everything, valid token or not, so a guesser
    learns nothing from which of its guesses was refused first.
    """

    requests: SlidingWindow = field(
        default_factory=lambda: SlidingWindow("party_requests", 120, 60)
    )
    failures: SlidingWindow = field(
        default_factory=lambda: SlidingWindow("party_failures", 10, 600)
    )

    async def admit(self, ip: str) -> None:
        if await self.failures.full(ip) or await self.requests.full(ip):
            wait = max(await self.failures.retry_after(ip), await self.requests.retry_after(ip))
            raise TooMany(
                "请求过于频繁，请稍后再试 / Too many requests, try again later",
                code="too_many_requests",
                retry_after_s=wait,
            )
        await self.requests.hit(ip)

    async def failed(self, ip: str) -> None:
        await self.failures.hit(ip)

    def reset(self) -> None:
        self.requests.reset()
        self.failures.reset()


THROTTLE = PartyThrottle()
