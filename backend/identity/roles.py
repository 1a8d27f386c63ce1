"""The roles an agency gives its staff and what each may do: every role set in CaseTrail is read
from this one table, so "who may read the agency's cases" has one answer everywhere.

The agencies' own rules name the official who approves (行政机关负责人 — "the head") and the legal
review (法制审核), and keep the archive; CaseTrail calls the approving office-holder `approver`.
There is no separate "head" role: a set naming one matched nobody, since no staff member can hold
a role outside `ROLES` (recorded in docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

ROLES = ("officer", "legal_reviewer", "approver", "supervisor", "archivist", "admin")

Capability = Literal[
    "certified",  # acts as an enforcement officer: records need a valid 执法证
    "read_agency",  # reads every case of its agency without being on the team
    "review_write",  # writes review entries (opinions, approvals) on cases it is not on
    "read_agency_timeline",  # reads the agency's own timeline (passkeys, staff, devices ...)
    "write_agency_timeline",  # writes there (patrol recordings, device checks)
    "supervise",  # the review desk: case lists, approvals, spot checks, holds, recordings
    "approve",  # decides approvals: signs approve/refuse/return, fills `x-approver` fields
    "legal_review",  # signs as the legal reviewer
    "waive",  # turns a missing or late requirement into `waived`
    "archive",  # files `record.archive` on any case of its agency
    "dispose",  # prepares and runs the disposal of records past retention
    "manage_teams",  # adds and removes case members
    "hear_approvals",  # is pushed what waits for approval
    "hear_spot_checks",  # is pushed the monthly spot-check draw
    "hear_archive_deadlines",  # is pushed archiving deadlines of its cases
]

# Office-holders who see the whole agency; an officer sees the cases it is on.
_OFFICE = frozenset({"read_agency", "read_agency_timeline", "write_agency_timeline", "supervise"})

CAPABILITIES: dict[str, frozenset[Capability]] = {
    "officer": frozenset({"certified", "write_agency_timeline"}),
    "legal_reviewer": _OFFICE
    | {"review_write", "legal_review", "hear_approvals", "hear_spot_checks"},
    "approver": _OFFICE | {"review_write", "approve", "waive", "hear_approvals"},
    "supervisor": _OFFICE | {"waive", "archive", "dispose", "manage_teams", "hear_spot_checks"},
    "archivist": _OFFICE | {"archive", "dispose", "hear_archive_deadlines"},
    "admin": _OFFICE | {"dispose", "manage_teams"},
}
assert set(CAPABILITIES) == set(ROLES)


def holders(capability: Capability) -> frozenset[str]:
    """The roles that may do `capability`."""
    return frozenset(role for role in ROLES if capability in CAPABILITIES[role])


def may(roles: Iterable[str], capability: Capability) -> bool:
    """Whether someone holding `roles` may do `capability`."""
    return any(capability in CAPABILITIES.get(role, frozenset()) for role in roles)


def access_rule(capability: Capability) -> str:
    """The route access rule (`role:a|b`) letting in the roles that may do `capability`."""
    return "role:" + "|".join(sorted(holders(capability)))
