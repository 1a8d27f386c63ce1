"""Limits on the anonymous sign-in and registration ceremonies, per client address and in total.

Asking for sign-in options (or opening an invitation) writes a challenge row before anyone is
known, so without limits anyone could fill the database. Three limits hold, counted across every
worker and server like the party throttle (`backend/throttle.py`):

- `rate`: ceremonies started plus failed sign-ins (wrong passkey, replayed answer) per address
  in a sliding window; a failure counts, so guessing costs the same as asking.
- `per_address`: challenges one address made within a challenge's lifetime, an upper bound on
  how many of its challenges are still open, so a slow, steady flood stops too.
- `total`: open challenges of everyone together, so many addresses cannot add up to a full disk.
  Expired challenges are purged as new ones are issued (`challenges.issue`).

The check and the count are two statements, so concurrent requests may pass a limit by a few;
the limits bound a flood, not the exact count.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request

from backend.client_address import client_ip
from backend.errors import TooMany
from backend.identity import challenges
from backend.settings import SignInLimits
from backend.throttle import SlidingWindow

REFUSAL = "登录尝试过于频繁，请稍后再试 / Too many sign-in attempts, try again later"


@dataclass
class SignInThrottle:
    rate: SlidingWindow
    per_address: SlidingWindow
    total: int

    @classmethod
    def from_limits(cls, limits: SignInLimits) -> SignInThrottle:
        return cls(
            rate=SlidingWindow("signin_rate", limits.rate, limits.window_s),
            per_address=SlidingWindow(
                "signin_open", limits.per_address, challenges.CHALLENGE_TTL_S
            ),
            total=limits.total,
        )

    async def _refuse_if_full(self, ip: str) -> None:
        waits = [await w.retry_after(ip) for w in (self.rate, self.per_address) if await w.full(ip)]
        if waits:
            raise TooMany(REFUSAL, code="too_many_sign_ins", retry_after_s=max(waits))

    async def check(self, ip: str) -> None:
        """Refuse (429) an address that is over its limits, counting nothing."""
        await self._refuse_if_full(ip)

    async def admit_challenge(self, ip: str) -> None:
        """Before a challenge is issued for `ip`: refuse (429) or count it."""
        await self._refuse_if_full(ip)
        if await challenges.outstanding() >= self.total:
            raise TooMany(
                REFUSAL,
                code="too_many_sign_ins",
                retry_after_s=await challenges.seconds_until_one_expires(),
            )
        await self.rate.hit(ip)
        await self.per_address.hit(ip)

    async def failed(self, ip: str) -> None:
        """A sign-in answer was refused: it counts against the address's window."""
        await self.rate.hit(ip)


def signin_throttle(request: Request) -> SignInThrottle:
    """The app's throttle, made from its settings on first use (one per app, so per test too)."""
    state = request.app.state
    throttle = state.get("signin_throttle")
    if throttle is None:
        throttle = SignInThrottle.from_limits(state.settings.signin_limits)
        state.signin_throttle = throttle
    return throttle


def address(request: Request) -> str:
    return client_ip(request) or "unknown"
