"""Who may read a blob: someone who may read a case (or agency timeline) the blob was finalised into."""

from __future__ import annotations

from litestar import Request

from backend.client_address import client_ip
from backend.errors import Forbidden
from backend.evidence.tables import EvidenceMedia
from backend.identity.access import Principal, can_read_case
from backend.identity.access_log import log_access
from backend.ledger.ledger import Ledger

LEVEL_NAMES = {"secret": "国家秘密", "business_secret": "商业秘密", "privacy": "个人隐私"}


async def cases_holding(sha256: str) -> list[str]:
    rows = await EvidenceMedia.select(EvidenceMedia.case_id).where(EvidenceMedia.sha256 == sha256)
    return sorted({r["case_id"] for r in rows})


async def readable_case_for(principal: Principal, sha256: str) -> str | None:
    """A case holding the blob that the caller may read, or None."""
    for case_id in await cases_holding(sha256):
        if await can_read_case(principal, case_id):
            return case_id
    return None


async def withheld_level(principal: Principal, sha256: str) -> str | None:
    """The confidentiality of an entry holding this blob that the caller is not cleared for, if any.

    Holding entries are the media entry itself and any record naming the blob: a photo taken for
    a secret inquiry is as secret as the inquiry, whichever of the two carries the flag.
    """
    from backend.identity.confidentiality import level_of, may_see
    from backend.ledger import reads

    holders = await cases_holding(sha256)
    for found in await reads.naming(sha256, case_ids=holders):
        entry = found.body
        names_it = sha256 in (entry.get("blobs") or []) or (
            (entry.get("payload") or {}).get("sha256") == sha256
        )
        if names_it and not may_see(entry, principal):
            return level_of(entry)
    return None


async def log_media_access(
    ledger: Ledger,
    principal: Principal,
    sha256: str,
    case_id: str,
    variant: str | None,
    request: Request,
    refused: str | None = None,
) -> None:
    """Record a view of a blob (or of its thumbnail, poster or public copy), or a refused one."""
    await log_access(
        ledger,
        principal,
        case_id,
        "media",
        what=f"{sha256}:{variant or 'original'}",
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        refused=refused,
    )


async def refuse_if_confidential(
    ledger: Ledger,
    principal: Principal,
    sha256: str,
    case_id: str,
    variant: str | None,
    request: Request,
) -> None:
    """403 `confidential` for an uncleared caller; the refused attempt is logged like a download."""
    level = await withheld_level(principal, sha256)
    if level is None:
        return
    await log_media_access(ledger, principal, sha256, case_id, variant, request, "confidential")
    raise Forbidden(
        f"此文件属于{LEVEL_NAMES.get(level, level)}，你没有查阅权限"
        f" / this file is marked {level.replace('_', ' ')} and you are not cleared for it",
        code="confidential",
        detail={"confidentiality": level},
    )
