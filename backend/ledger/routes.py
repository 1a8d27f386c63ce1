"""HTTP routes for timelines, checkpoints and proofs (thin: the Ledger does the work)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
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
from backend.ledger.checkpoint import Checkpoint
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger
from backend.ledger.schemas import (
    AppendRequest,
    CheckpointOut,
    ConsistencyOut,
    EntryOut,
    InclusionOut,
    TimelinePage,
)
from backend.ledger.timestamp import stamped_time
from backend.ledger.witnessing import cosigned_notes, merge_cosignatures

# Sequence numbers and log sizes are 32-bit columns on PostgreSQL: a larger one is refused as 400
# by the parameter check, before it reaches a query.
MAX_POSITION = 2**31 - 1


def entry_out(entry: Entry) -> EntryOut:
    return msgspec.convert(entry.to_json(), EntryOut)


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


class LedgerController(Controller):
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
        await check_kind_on_case(me, case_id, data.kind)
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

    @get("/log/checkpoint", operation_id="latestCheckpoint", opt={"access": "public"})
    async def latest_checkpoint(self, ledger: Ledger) -> CheckpointOut:
        """The latest signed checkpoint of the global log (made now if none exists)."""
        return await checkpoint_out(
            ledger, await ledger.latest_checkpoint() or await ledger.checkpoint()
        )

    @post("/log/checkpoint", operation_id="makeCheckpoint", opt={"access": "role:supervisor"})
    async def make_checkpoint(self, ledger: Ledger) -> CheckpointOut:
        """Sign a checkpoint of the log as it is now."""
        return await checkpoint_out(ledger, await ledger.checkpoint())

    @get(
        "/log/inclusion/{entry_hash:str}",
        operation_id="inclusionProof",
        opt={"access": "entry:read"},
    )
    async def inclusion_proof(self, entry_hash: str, ledger: Ledger) -> InclusionOut:
        """Proof that an entry is in the signed log."""
        return msgspec.convert(await ledger.inclusion(entry_hash), InclusionOut)

    @get("/log/consistency", operation_id="consistencyProof", opt={"access": "public"})
    async def consistency_proof(
        self,
        ledger: Ledger,
        old_size: int = Parameter(ge=0, le=MAX_POSITION),
        new_size: int | None = Parameter(default=None, ge=0, le=MAX_POSITION),
    ) -> ConsistencyOut:
        """Proof that the log at `new_size` extends the log at `old_size` unchanged."""
        return msgspec.convert(await ledger.consistency(old_size, new_size), ConsistencyOut)


async def checkpoint_out(ledger: Ledger, checkpoint: Checkpoint) -> CheckpointOut:
    kept = await cosigned_notes(checkpoint.size)
    token = (await ledger.timestamp_tokens()).get(checkpoint.size)
    stamped = stamped_time(token) if token else None
    return CheckpointOut(
        origin=checkpoint.origin,
        size=checkpoint.size,
        root=checkpoint.root.hex(),
        note=checkpoint.note,
        vkey=ledger.signer.vkey if ledger.signer else "",
        cosigned_note=merge_cosignatures(checkpoint.note, [r["note"] for r in kept]),
        witnesses=sorted(r["witness"] for r in kept),
        timestamped_at=stamped.isoformat() if stamped else None,
        problems=await ledger.protection_problems(),
    )


def _spec_text(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=str, media_type=MediaType.TEXT, description=description)


@post(
    "/witness/add-checkpoint",
    operation_id="witnessAddCheckpoint",
    opt={"access": "public"},
    media_type=MediaType.TEXT,
    status_code=200,
    # The specification's own answers, in text: not CaseTrail's error shape.
    responses={
        400: _spec_text("A body that is not a checkpoint with a consistency proof"),
        403: _spec_text("A checkpoint not signed by a log this server witnesses"),
        404: _spec_text("This server witnesses no log, or not this one"),
        409: _spec_text("The old size is not the size this witness last saw (body: that size)"),
        422: _spec_text("The consistency proof does not hold: history was rewritten"),
    },
)
async def witness_add_checkpoint(request: Request) -> Response[str]:
    """C2SP tlog-witness: cosign a log's checkpoint that extends what this witness saw before.

    Not a CaseTrail API shape: statuses and bodies are those of the specification."""
    witness = request.app.state.runtime.witness
    if witness is None:
        return Response(
            "this server witnesses no log\n", status_code=404, media_type=MediaType.TEXT
        )
    answer = await witness.add_checkpoint(await request.body())
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type)


API_ROUTES = [LedgerController, witness_add_checkpoint]
