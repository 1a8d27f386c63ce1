"""HTTP routes for a case's timeline: append an entry, read a page (the ledger stores, these check).

Kept out of the ledger so that the log does not import the rules laid on it: who may write which
kind on which case (identity) and which blobs a case holds (evidence).
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter

from backend.client_address import client_ip
from backend.errors import NotFound
from backend.evidence.holdings import check_blobs_held, named_blobs
from backend.identity.access import (
    check_approval,
    check_client_id,
    check_client_kind,
    check_kind_on_case,
    principal_of,
)
from backend.identity.access_log import timeline_as_seen
from backend.identity.certificates import check_may_write_record
from backend.ledger.entry import Draft
from backend.ledger.ledger import Ledger
from backend.ledger.routes import MAX_POSITION, entry_out
from backend.ledger.schemas import AppendRequest, EntryOut, TimelinePage


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


class TimelineController(Controller):
    path = ""
    tags = ["ledger"]

    @post(
        "/cases/{case_id:str}/entries",
        operation_id="appendEntry",
        opt={"access": "case:write", "non_member_kinds": True},
        status_code=201,
    )
    async def append_entry(
        self, request: Request, case_id: str, data: AppendRequest, ledger: Ledger
    ) -> EntryOut:
        """Append one entry to a case timeline; resending the same client_id returns the original."""
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
        await check_blobs_held(
            case_id, named_blobs(ledger.kinds, data.kind, data.payload, data.blobs)
        )
        entry = await ledger.append(draft_from(case_id, data, me.staff_id))
        return entry_out(entry)

    @get("/cases/{case_id:str}/timeline", operation_id="readTimeline", opt={"access": "case:read"})
    async def read_timeline(
        self,
        request: Request,
        case_id: str,
        ledger: Ledger,
        after_seq: int = Parameter(default=-1, ge=-1, le=MAX_POSITION),
        limit: int = Parameter(default=100, ge=1, le=1000),
    ) -> TimelinePage:
        """A page of a case timeline in order."""
        entries = await ledger.timeline(case_id, after_seq, limit)
        if not entries and after_seq == -1:
            raise NotFound("no such case", code="case_not_found")
        shown = await timeline_as_seen(  # redacts uncleared secrets, logs the view
            ledger,
            principal_of(request),
            case_id,
            entries,
            client_ip(request),
            request.headers.get("user-agent"),
        )
        return TimelinePage(
            case_id=case_id,
            entries=[msgspec.convert(e, EntryOut) for e in shown],
            next_after_seq=entries[-1].seq if len(entries) == limit else None,
        )


API_ROUTES = [TimelineController]
