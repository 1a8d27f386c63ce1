"""HTTP routes for a case's timeline: append an entry, read a page (the ledger stores, these check).

Kept out of the ledger so that the log does not import the rules laid on it: who may write which
kind on which case (identity) and which blobs a case holds (evidence).
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter

from backend.client_address import client_ip
from backend.errors import NotFound
from backend.identity.access import (
    principal_of,
)
from backend.identity.access_log import timeline_as_seen
from backend.ledger.ledger import Ledger
from backend.ledger.routes import MAX_POSITION
from backend.ledger.schemas import AppendRequest, EntryOut, TimelinePage
from backend.timeline.appending import append_to_timeline
from backend.timeline.lean_append import lean_append


class TimelineController(Controller):
    path = ""
    tags = ["ledger"]

    @post(
        "/cases/{case_id:str}/entries",
        operation_id="appendEntry",
        opt={"access": "case:write", "non_member_kinds": True},
        status_code=201,
        middleware=[lean_append],
    )
    async def append_entry(
        self, request: Request, case_id: str, data: AppendRequest, ledger: Ledger
    ) -> EntryOut:
        """Append one entry to a case timeline; resending the same client_id returns the original."""
        return await append_to_timeline(request, case_id, data, ledger)

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
