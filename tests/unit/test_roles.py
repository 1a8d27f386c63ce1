"""One table says what each staff role may do; every role set the routes and pushes use is read
from it, so no set can name a role nobody can hold (the old "head")."""

from __future__ import annotations

import typing

from backend.identity import access, certificates, members, roles, schemas, signatures
from backend.notify import recipients
from backend.review import routes as review_routes


def test_the_office_holders_read_the_whole_agency_and_an_officer_only_its_cases() -> None:
    assert roles.holders("read_agency") == {
        "supervisor",
        "legal_reviewer",
        "approver",
        "archivist",
        "admin",
    }
    assert not roles.may(["officer"], "read_agency")
    assert roles.may(["officer", "archivist"], "read_agency")
    assert roles.may(["officer"], "write_agency_timeline")


def test_only_the_approver_decides_and_only_the_legal_reviewer_signs_the_legal_review() -> None:
    assert roles.holders("approve") == {"approver"}
    assert signatures.MEANING_ROLES["approve_disposal"] == {"approver"}
    assert signatures.MEANING_ROLES["legal_review"] == {"legal_reviewer"}
    assert {"approver", "legal_reviewer"} == access.REVIEW_WRITERS
    assert {"supervisor", "approver"} == access.WAIVER_ROLES


def test_every_role_set_names_only_roles_staff_can_hold() -> None:
    sets = [
        access.AGENCY_READERS,
        access.AGENCY_TIMELINE_READERS,
        access.AGENCY_TIMELINE_WRITERS,
        access.NON_MEMBER_KIND_ROLES,
        certificates.CERTIFIED_ROLES,
        members.TEAM_MANAGERS,
        recipients.APPROVERS,
        recipients.SUPERVISORS,
        recipients.ARCHIVISTS,
        review_routes.SUPERVISING,
        review_routes.DISPOSING,
        *signatures.MEANING_ROLES.values(),
    ]
    for role_set in sets:
        assert role_set and set(role_set) <= set(roles.ROLES), role_set
    assert "head" not in review_routes.SUPERVISOR_RULE
    # The API's role enum is the same list.
    assert set(typing.get_args(schemas.Role)) == set(roles.ROLES)


def test_approvals_are_pushed_to_approvers_and_legal_reviewers() -> None:
    assert {"approver", "legal_reviewer"} == recipients.APPROVERS
    assert {"archivist"} == recipients.ARCHIVISTS
