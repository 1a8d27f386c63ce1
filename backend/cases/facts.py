"""The case facts identity's access rules ask for (backend/identity/case_facts.py), read from the
cases projection with raw SQL: they run on every guarded request and every upload's finalise,
where building the query through Piccolo costs more."""

from __future__ import annotations

from collections.abc import Iterable

from backend.cases.tables import CaseState
from backend.identity.case_facts import CaseFacts


async def projected_agency(case_id: str) -> str | None:
    rows = await CaseState.raw("SELECT agency_id FROM case_state WHERE case_id = {}", case_id)
    return rows[0]["agency_id"] if rows else None


async def agency_and_membership(case_id: str, staff_id: str) -> tuple[str, bool] | None:
    rows = await CaseState.raw(
        "SELECT cs.agency_id, EXISTS (SELECT 1 FROM identity_case_member AS m "
        "WHERE m.case_id = cs.case_id AND m.staff_id = {}) AS member "
        "FROM case_state AS cs WHERE cs.case_id = {}",
        staff_id,
        case_id,
    )
    return (rows[0]["agency_id"], bool(rows[0]["member"])) if rows else None


async def titles(case_ids: Iterable[str]) -> dict[str, str]:
    wanted = list(set(case_ids))
    if not wanted:
        return {}
    rows = await CaseState.select(CaseState.case_id, CaseState.title).where(
        CaseState.case_id.is_in(wanted)
    )
    return {r["case_id"]: r["title"] for r in rows}


CASE_FACTS = CaseFacts(projected_agency, agency_and_membership, titles)
