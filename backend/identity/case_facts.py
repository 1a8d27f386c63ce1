"""What identity's access rules ask the cases domain about a case, without importing it.

Identity comes before cases (cases uses identity's access rules), yet deciding who may see a case
needs the case's agency from cases' projection. Cases answers through these functions
(backend/cases/facts.py) and the wiring connects them once (backend/handoffs.py); asking before
that is a wiring bug and says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseFacts:
    # The agency of a projected case; None when the projection does not hold it (yet).
    projected_agency: Callable[[str], Awaitable[str | None]]
    # (agency, whether the staff member is on the case) of a projected case, in one query.
    agency_and_membership: Callable[[str, str], Awaitable[tuple[str, bool] | None]]
    # Titles of the projected cases among the given ids.
    titles: Callable[[Iterable[str]], Awaitable[dict[str, str]]]


_connected: list[CaseFacts] = []


def connect(facts: CaseFacts) -> None:
    _connected[:] = [facts]


def case_facts() -> CaseFacts:
    if not _connected:
        raise RuntimeError("the cases domain is not connected: import backend.handoffs first")
    return _connected[0]
