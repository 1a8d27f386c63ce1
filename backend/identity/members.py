"""Case membership as ledger facts (`case.member_added` / `case.member_removed`) and its projection."""

from __future__ import annotations

from collections.abc import Iterable

from backend.database import in_lists
from backend.errors import Forbidden, Invalid, NotFound
from backend.identity import remembered
from backend.identity.access import Principal, case_agency, is_member
from backend.identity.roles import holders
from backend.identity.tables import CaseMember, Staff
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger

MEMBER_ROLES = ("handler", "officer", "reviewer")
# Who may change a case's team: its handler, or the agency's supervisors and admins.
TEAM_MANAGERS = holders("manage_teams")


async def apply_membership(entry: Entry) -> None:
    if entry.kind in ("case.member_added", "case.member_removed"):
        remembered.forget_case(entry.case_id)
    if entry.kind == "case.member_added":
        staff_id = entry.payload["staff_id"]
        await CaseMember.delete().where(
            (CaseMember.case_id == entry.case_id) & (CaseMember.staff_id == staff_id)
        )
        await CaseMember.insert(
            CaseMember(
                case_id=entry.case_id,
                staff_id=staff_id,
                role=entry.payload["role"],
                entry_hash=entry.hash,
            )
        )
    elif entry.kind == "case.member_removed":
        await CaseMember.delete().where(
            (CaseMember.case_id == entry.case_id)
            & (CaseMember.staff_id == entry.payload["staff_id"])
        )
    if entry.kind in ("case.member_added", "case.member_removed"):
        remembered.forget_case(entry.case_id)  # and any check read while the rows changed


async def member_case_ids(staff_id: str, agency_id: str) -> list[str]:
    """The cases of `agency_id` that `staff_id` is on now, oldest first.

    "My cases" everywhere: the membership projection has applied removals, and the agency is the
    case's own (its first opening), so neither a removed member nor a stray membership entry on
    another agency's case shows a case to the wrong person.
    """
    rows = await CaseMember.raw(
        "SELECT m.case_id FROM identity_case_member AS m "
        "JOIN case_state AS cs ON cs.case_id = m.case_id "
        "WHERE m.staff_id = {} AND cs.agency_id = {} ORDER BY cs.opened_at, m.case_id",
        staff_id,
        agency_id,
    )
    return list(dict.fromkeys(r["case_id"] for r in rows))


async def case_member_ids(case_ids: Iterable[str]) -> dict[str, set[str]]:
    """Who is on each of these cases now (removals applied)."""
    wanted = list(dict.fromkeys(case_ids))
    found: dict[str, set[str]] = {case_id: set() for case_id in wanted}
    for chunk in in_lists(wanted):
        rows = await CaseMember.select(CaseMember.case_id, CaseMember.staff_id).where(
            CaseMember.case_id.is_in(chunk)
        )
        for row in rows:
            found[row["case_id"]].add(row["staff_id"])
    return found


async def _may_manage(by: Principal, case_id: str) -> None:
    if await case_agency(case_id) != by.agency_id:
        raise Forbidden("you may not change this case", "other_agency")
    if by.roles & TEAM_MANAGERS:
        return
    handler = await CaseMember.exists().where(
        (CaseMember.case_id == case_id)
        & (CaseMember.staff_id == by.staff_id)
        & (CaseMember.role == "handler")
    )
    if not handler:
        raise Forbidden("only the case handler or a supervisor changes the team", "not_handler")


async def add_member(
    ledger: Ledger, by: Principal, case_id: str, staff_id: str, role: str, client_id: str
) -> Entry:
    if role not in MEMBER_ROLES:
        raise Invalid(f"role is one of {', '.join(MEMBER_ROLES)}", "bad_member_role")
    await _may_manage(by, case_id)
    staff = await Staff.select().where(Staff.staff_id == staff_id).first()
    if staff is None or staff["agency_id"] != by.agency_id or not staff["active"]:
        raise NotFound("no such active staff member in your agency", "staff_not_found")
    return await ledger.append(
        Draft(
            case_id,
            "case.member_added",
            client_id,
            {"staff_id": staff_id, "role": role},
            by.staff_id,
        )
    )


async def remove_member(
    ledger: Ledger, by: Principal, case_id: str, staff_id: str, reason: str, client_id: str
) -> Entry:
    await _may_manage(by, case_id)
    target = Principal(staff_id, by.agency_id, staff_id, frozenset())
    if not await is_member(target, case_id):
        raise NotFound("not a member of this case", "not_member")
    return await ledger.append(
        Draft(
            case_id,
            "case.member_removed",
            client_id,
            {"staff_id": staff_id, "reason": reason},
            by.staff_id,
        )
    )
