"""HTTP routes for the random inspection draw: commit the seed's hash, reveal, or abandon (thin: random_draw.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Controller, Request, post

from backend.cases.random_draw import abandon_draw, commit_draw, reveal_draw
from backend.identity.access import principal_of
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.routes import entry_out
from backend.ledger.schemas import EntryOut


class DrawCommit(msgspec.Struct, forbid_unknown_fields=True):
    """The commitment, made before the draw: SHA-256 of the secret seed and both candidate lists."""

    client_id: str
    method: str
    seed_sha256: str
    target_pool: list[str]
    inspector_pool: list[str]
    target_count: int
    inspector_count: int
    # The inspection plan (抽查计划) drawn for: one open commitment per officer and plan.
    plan: str | None = None
    algorithm: str | None = None
    claimed: dict[str, Any] | None = None
    device: str | None = None


class DrawReveal(msgspec.Struct, forbid_unknown_fields=True):
    """The seed, revealed after the draw; targets and inspectors are filled in when left out."""

    client_id: str
    commit_entry: str
    seed: str
    targets: list[str] | None = None
    inspectors: list[str] | None = None
    witnesses: list[str] | None = None
    published_at: str | None = None
    claimed: dict[str, Any] | None = None
    device: str | None = None


class DrawAbandon(msgspec.Struct, forbid_unknown_fields=True):
    """Giving up an open commitment (seed lost, wrong pools); the reason stays on the timeline."""

    client_id: str
    commit_entry: str
    reason: str
    claimed: dict[str, Any] | None = None
    device: str | None = None


async def _append(
    step: Callable[..., Awaitable[Entry]],
    ledger: Ledger,
    request: Request,
    case_id: str,
    data: msgspec.Struct,
) -> EntryOut:
    """Run one draw step with the request's fields as its payload and the caller as its actor."""
    fields = {k: v for k, v in msgspec.to_builtins(data).items() if v is not None}
    envelope = {k: fields.pop(k, None) for k in ("claimed", "device")}
    client_id = fields.pop("client_id")
    entry = await step(
        ledger,
        case_id,
        client_id=client_id,
        payload=fields,
        actor=principal_of(request).staff_id,
        **envelope,
    )
    return entry_out(entry)


class RandomDrawController(Controller):
    path = "/cases/{case_id:str}/random-draw"
    tags = ["cases"]

    @post("/commit", operation_id="commitRandomDraw", opt={"access": "case:write"}, status_code=201)
    async def commit(
        self, request: Request, case_id: str, data: DrawCommit, ledger: Ledger
    ) -> EntryOut:
        """Commit SHA-256(seed) and the candidate lists before the draw (algorithm sha256-rank-v2).

        The draw uses the seed mixed with this commitment's entry hash. 409 `draw_commit_pending`
        while another commitment is open, `draw_already_made` once a draw was revealed, and
        `draw_commit_open_elsewhere` while the officer holds an open commitment of the same plan
        on another case (the message names that case by its title)."""
        return await _append(commit_draw, ledger, request, case_id, data)

    @post("/reveal", operation_id="revealRandomDraw", opt={"access": "case:write"}, status_code=201)
    async def reveal(
        self, request: Request, case_id: str, data: DrawReveal, ledger: Ledger
    ) -> EntryOut:
        """Reveal the seed; refused unless it matches the commitment and the result is its draw."""
        return await _append(reveal_draw, ledger, request, case_id, data)

    @post(
        "/abandon", operation_id="abandonRandomDraw", opt={"access": "case:write"}, status_code=201
    )
    async def abandon(
        self, request: Request, case_id: str, data: DrawAbandon, ledger: Ledger
    ) -> EntryOut:
        """Abandon an open commitment with a reason; compliance shows it to supervisors."""
        return await _append(abandon_draw, ledger, request, case_id, data)


DRAW_ROUTES = [RandomDrawController]
