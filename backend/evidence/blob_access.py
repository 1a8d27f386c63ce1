"""Who may read a blob: someone who may read a case (or agency timeline) the blob was finalised into."""

from __future__ import annotations

from backend.evidence.tables import EvidenceMedia
from backend.identity.access import Principal

# Roles that see every case of their agency (same set as the cases API).
AGENCY_WIDE = {"supervisor", "legal_reviewer", "approver", "archivist", "admin"}


async def cases_holding(sha256: str) -> list[str]:
    rows = await EvidenceMedia.select(EvidenceMedia.case_id).where(EvidenceMedia.sha256 == sha256)
    return sorted({r["case_id"] for r in rows})


async def may_read_case(principal: Principal, case_id: str) -> bool:
    """The identity domain's case rule when it offers one; otherwise agency + membership."""
    try:
        from backend.identity.access import can_read_case  # type: ignore[attr-defined]
    except ImportError:
        can_read_case = None
    if can_read_case is not None:
        return bool(await can_read_case(principal, case_id))
    if case_id.startswith("agency:"):
        return case_id == f"agency:{principal.agency_id}"
    from backend.cases.tables import CaseState

    row = await CaseState.select(CaseState.agency_id).where(CaseState.case_id == case_id).first()
    if row is None or row["agency_id"] != principal.agency_id:
        return False
    if principal.roles & AGENCY_WIDE:
        return True
    try:
        from backend.identity.tables import CaseMember  # type: ignore[import-not-found]
    except ImportError:
        return True  # membership is not tracked yet: the agency boundary is what holds
    return await CaseMember.exists().where(
        (CaseMember.case_id == case_id) & (CaseMember.staff_id == principal.staff_id)
    )


async def readable_case_for(principal: Principal, sha256: str) -> str | None:
    """A case holding the blob that the caller may read, or None."""
    for case_id in await cases_holding(sha256):
        if await may_read_case(principal, case_id):
            return case_id
    return None
