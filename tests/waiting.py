"""Waiting on a state outside the browser (a server answering, a worker replaced, a log line
written): one polling loop with a deadline, so no test waits a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")
POLL_S = 0.05  # how often the state is looked at again, never how long a test waits


def until(
    check: Callable[[], T | None], timeout_s: float, why: Callable[[], str] = lambda: ""
) -> T:
    """The first truthy answer of `check`; fails with `why()` once `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        assert time.monotonic() < deadline, why() or f"still waiting after {timeout_s} s"
        time.sleep(POLL_S)
    return found


def answers(url: str) -> bool:
    """Whether the server at `url` answers its time route (it is up and serving)."""
    try:
        return httpx.get(f"{url}/api/time", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
