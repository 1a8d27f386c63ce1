"""HTTP routes for the log: checkpoints, proofs, tiles and the witness (thin: the Ledger does the work).

`/checkpoint` and `/tile/…` are the read-only C2SP tlog-tiles endpoints, so that standard
transparency-log clients can verify CaseTrail's log without any CaseTrail code.

A case's timeline is read and appended to through backend/timeline/routes.py, which applies the
case rules of identity and the blob holdings of evidence; the ledger itself knows neither.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from backend.ledger.checkpoint import Checkpoint
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.schemas import (
    CheckpointOut,
    ConsistencyOut,
    EntryOut,
    InclusionOut,
)
from backend.ledger.tiles import TILE_WIDTH, parse_index
from backend.ledger.timestamp import stamped_time
from backend.ledger.witnessing import cosigned_notes, merge_cosignatures

# Sequence numbers and log sizes are 32-bit columns on PostgreSQL: a larger one is refused as 400
# by the parameter check, before it reaches a query.
MAX_POSITION = 2**31 - 1


def entry_out(entry: Entry) -> EntryOut:
    return msgspec.convert(entry.to_json(), EntryOut)


class LedgerController(Controller):
    path = ""
    tags = ["ledger"]

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


# Full tiles never change; a partial tile of a given width never changes either, but the spec
# lets logs drop it once the full tile exists, and the checkpoint moves: neither is kept long.
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"
MAX_TILE_LEVEL = 7  # 256**8 leaves: far more than a 64-bit log index can name


def _text(body: str, status: int, cache: str = "no-store") -> Response[str]:
    return Response(
        body, status_code=status, media_type=MediaType.TEXT, headers={"Cache-Control": cache}
    )


@get(
    "/checkpoint",
    operation_id="tlogCheckpoint",
    opt={"access": "public"},
    media_type=MediaType.TEXT,
    include_in_schema=False,
)
async def tlog_checkpoint(ledger: Ledger) -> Response[str]:
    """C2SP tlog-tiles: the latest signed checkpoint note, with the witnesses' cosignatures.

    Not a CaseTrail API shape: the body is the signed note a transparency-log client reads."""
    checkpoint = await ledger.latest_checkpoint() or await ledger.checkpoint()
    kept = await cosigned_notes(checkpoint.size)
    return _text(merge_cosignatures(checkpoint.note, [r["note"] for r in kept]), 200, "no-cache")


@get(
    "/tile/{path:path}",
    operation_id="tlogTile",
    opt={"access": "public"},
    include_in_schema=False,
)
async def tlog_tile(path: str, ledger: Ledger) -> Response[bytes] | Response[str]:
    """C2SP tlog-tiles: `tile/<L>/<N>[.p/<W>]` (hashes) and `tile/entries/<N>[.p/<W>]` (bundles)."""
    parts = path.strip("/").split("/")
    level = parts[0]
    try:
        index, width = parse_index(parts[1:])
    except ValueError:
        return _text("not a tile path\n", 400)
    if level == "entries":
        found = await ledger.entry_bundle(index, width)
    elif level.isdigit() and str(int(level)) == level and int(level) <= MAX_TILE_LEVEL:
        found = await ledger.tile(int(level), index, width)
    else:
        return _text("not a tile path\n", 400)
    if found is None:
        return _text("no such tile in this log yet\n", 404)
    return Response(
        found,
        media_type="application/octet-stream",
        headers={"Cache-Control": IMMUTABLE if width == TILE_WIDTH else SHORT},
    )


API_ROUTES = [LedgerController, witness_add_checkpoint]
ROOT_ROUTES = [tlog_checkpoint, tlog_tile]
