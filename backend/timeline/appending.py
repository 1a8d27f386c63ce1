"""Appending one entry to a case timeline: every check a client's append passes, then the append.

The route (backend/timeline/routes.py) and its lean path (lean_append.py) both call this, so the two
can never judge a request differently.
"""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Request

from backend.evidence.holdings import check_blobs_held, named_blobs
from backend.identity.access import (
    check_approval,
    check_client_id,
    check_client_kind,
    check_kind_on_case,
    principal_of,
)
from backend.identity.certificates import check_may_write_record
from backend.ledger.entry import Draft
from backend.ledger.ledger import Ledger
from backend.ledger.routes import entry_out
from backend.ledger.schemas import AppendRequest, EntryOut


def draft_from(case_id: str, data: AppendRequest, actor: str | None) -> Draft:
    return Draft(
        case_id=case_id,
        kind=data.kind,
        client_id=data.client_id,
        payload=data.payload,
        actor=actor,
        device=data.device,
        claimed=data.claimed,
        blobs=tuple(data.blobs),
        signatures=tuple(data.signatures),
        corrects=data.corrects,
    )


async def append_to_timeline(
    request: Request, case_id: str, data: AppendRequest, ledger: Ledger
) -> EntryOut:
    """What appending one entry checks and does, once the access guard has let the request in."""
    check_client_id(data.client_id)
    me = principal_of(request)
    check_client_kind(data.kind, ledger.kinds, me.roles)
    await check_kind_on_case(me, case_id, data.kind, request)
    corrects = (data.corrects or {}).get("hash")
    corrected = await ledger.versions(case_id, corrects) if corrects else []
    check_approval(data.kind, data.payload, me.roles, [e.payload for e in corrected])
    await check_may_write_record(me, data.kind, data.claimed, datetime.now(UTC))
    ledger.kinds.validate(data.kind, data.payload)  # a malformed payload is a 400 first
    # A client names files by hash; it may name only files this timeline already holds.
    await check_blobs_held(case_id, named_blobs(ledger.kinds, data.kind, data.payload, data.blobs))
    entry = await ledger.append(draft_from(case_id, data, me.staff_id))
    return entry_out(entry)
