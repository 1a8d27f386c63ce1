"""Timeline ids: a case's own id, or `agency:<agency id>` for an agency's own timeline.

An agency timeline holds what belongs to no case (passkeys, staff, devices, recorder custody,
retention batches); every domain that writes or reads one names it through these functions.
"""

from __future__ import annotations

AGENCY_PREFIX = "agency:"


def agency_timeline(agency_id: str) -> str:
    """The id of the agency's own timeline."""
    return f"{AGENCY_PREFIX}{agency_id}"


def agency_of_timeline(case_id: str) -> str | None:
    """The agency whose own timeline `case_id` is, or None for a case."""
    return case_id.removeprefix(AGENCY_PREFIX) if case_id.startswith(AGENCY_PREFIX) else None
