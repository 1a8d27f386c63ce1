"""HTTP routes for cases (thin: lifecycle.py does the work)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import QueryParameter

from backend.cases.document_routes import DOCUMENT_ROUTES
from backend.cases.draw_routes import DRAW_ROUTES
from backend.cases.lifecycle import case_view, open_case, state_json, with_next_steps
from backend.cases.schemas import CaseOut, OpenCase
from backend.cases.tables import CaseState
from backend.identity.access import principal_of
from backend.identity.members import member_case_ids
from backend.identity.roles import may
from backend.ledger.entry import utc_iso
from backend.ledger.kinds import default_registry
from backend.ledger.ledger import Ledger

# `?with=next` reads every listed case's timeline; an agency-wide list summarises only its most
# recently active cases so one request stays bounded (the rest come back without a summary).
SUMMARY_LIMIT = 200


class CasesController(Controller):
    path = "/cases"
    tags = ["cases"]

    @post("/", operation_id="openCase", opt={"access": "role:officer"}, status_code=201)
    async def open(self, request: Request, data: OpenCase, ledger: Ledger) -> CaseOut:
        """Open a case by any start path; the caller and the named officers become its members."""
        me = principal_of(request)
        payload = msgspec.to_builtins(data)
        extra = {
            k: payload.pop(k) for k in ("client_id", "officers", "case_id", "claimed", "device")
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        payload["parties"] = [
            {k: v for k, v in party.items() if v is not None} for party in payload["parties"]
        ]
        case_id = await open_case(
            ledger,
            agency_id=me.agency_id,
            actor=me.staff_id,
            client_id=extra["client_id"],
            payload=payload,
            officers=extra["officers"],
            case_id=extra["case_id"],
            claimed=extra["claimed"],
            device=extra["device"],
        )
        return msgspec.convert(await case_view(ledger, case_id), CaseOut)

    @get("/", operation_id="listCases", opt={"access": "staff"})
    async def list_cases(
        self,
        request: Request,
        ledger: Ledger,
        stage: str | None = None,
        enforcement_kind: str | None = None,
        status: str | None = None,
        officer: str | None = None,
        with_: Literal["next"] | None = QueryParameter(name="with", default=None),
    ) -> list[CaseOut]:
        """The cases the caller may see: their own, or their agency's for agency-wide roles.

        `?with=next` adds each case's next steps and open problems (what the officer's home shows).
        """
        me = principal_of(request)
        query = CaseState.select().where(CaseState.agency_id == me.agency_id)
        if stage:
            query = query.where(CaseState.stage == stage)
        if enforcement_kind:
            query = query.where(CaseState.enforcement_kind == enforcement_kind)
        if status:
            query = query.where(CaseState.status == status)
        rows = await query.order_by(CaseState.updated_at, ascending=False)
        if not may(me.roles, "read_agency"):
            mine = set(await member_case_ids(me.staff_id, me.agency_id))
            rows = [r for r in rows if r["case_id"] in mine]
        if officer:
            theirs = set(await member_case_ids(officer, me.agency_id))
            rows = [r for r in rows if r["case_id"] in theirs]
        states = [state_json(r) for r in rows]
        if with_ == "next":
            states[:SUMMARY_LIMIT] = await with_next_steps(ledger, states[:SUMMARY_LIMIT])
        return [msgspec.convert(s, CaseOut) for s in states]

    @get("/{case_id:str}", operation_id="readCase", opt={"access": "case:read"})
    async def read(self, case_id: str, ledger: Ledger) -> CaseOut:
        """A case with its compliance list and the records it needs next."""
        return msgspec.convert(await case_view(ledger, case_id), CaseOut)


@get("/time", operation_id="serverTime", opt={"access": "public"}, tags=["meta"])
async def server_time() -> dict[str, str]:
    """The server's clock, so devices can measure their offset at each sync."""
    return {"now": utc_iso(datetime.now(UTC))}


@get("/kinds", operation_id="listKinds", opt={"access": "public"}, tags=["meta"])
async def list_kinds() -> dict[str, int]:
    """Every entry kind and its latest schema version (schemas under /shared/schemas/kinds/)."""
    registry = default_registry()
    return {kind: registry.latest(kind) for kind in sorted(registry.validators)}


API_ROUTES = [CasesController, server_time, list_kinds, *DRAW_ROUTES, *DOCUMENT_ROUTES]
