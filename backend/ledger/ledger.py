"""The ledger: the one entry point domains call to append to and read the timelines and the log.

It is split the way Tessera splits a log: the appender (backend/ledger/appender.py) queues,
chains and group-commits drafts from one long-lived committer task, tells the listeners and
answers each caller with the log's signed promises (made on a signing thread of its own); the
writer (backend/ledger/writer.py, one class per database engine) holds the write transaction;
the log (backend/ledger/log.py) keeps the Merkle tree, checkpoints, time-stamps and proofs.
This class checks what callers send, wires those parts together and reads entries back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine

from backend.errors import Invalid, NotFound
from backend.ledger.appender import Appender, Listener
from backend.ledger.checkpoint import Checkpoint, CheckpointSigner
from backend.ledger.entry import Draft, Entry
from backend.ledger.kinds import (
    SHARED,
    KindRegistry,
    compile_schema,
    default_registry,
    schema_errors,
)
from backend.ledger.log import Log
from backend.ledger.reads import LedgerReads
from backend.ledger.tables import LedgerEntry
from backend.ledger.tiled_tree import TiledTree
from backend.ledger.witnessing import WitnessConfig
from backend.ledger.writer import writer_for
from backend.moments import parse_iso

_CLAIMED = compile_schema(json.loads((SHARED / "schemas" / "claimed.schema.json").read_text()))
_HEX64 = frozenset("0123456789abcdef")


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64


def check_claimed(claimed: object) -> None:
    """Invalid (`bad_claim`) unless `claimed` fits shared/schemas/claimed.schema.json.

    Callers that compute from a claim before appending (EXIF findings) check it first, so a
    malformed claim is a 400 and never reaches their arithmetic.
    """
    if not _CLAIMED.is_valid(claimed):
        error = schema_errors(_CLAIMED, claimed)[0]
        raise Invalid(f"claimed time/place invalid: {error['message']}", code="bad_claim")


def check_envelope(draft: Draft) -> None:
    """Reject drafts whose non-payload fields are malformed."""
    for name in ("case_id", "kind", "client_id"):
        value = getattr(draft, name)
        if not isinstance(value, str) or not 0 < len(value) <= 120:
            raise Invalid(f"{name} must be a string of 1 to 120 characters", code="bad_envelope")
    check_claimed(draft.claimed)
    if not all(_is_sha256(b) for b in draft.blobs):
        raise Invalid("blobs must be SHA-256 hex digests", code="bad_envelope")
    if draft.corrects is not None and not (
        _is_sha256(draft.corrects.get("hash")) and draft.corrects.get("reason")
    ):
        raise Invalid(
            "a correction names the entry hash it corrects and a reason", code="bad_envelope"
        )


def _delegated(name: str) -> property:
    """An attribute of the ledger that lives on its log."""
    return property(
        lambda self: getattr(self.log, name), lambda self, value: setattr(self.log, name, value)
    )


class Ledger(LedgerReads):
    """Appends and reads timeline entries; keeps the global Merkle tree and signs checkpoints."""

    def __init__(
        self,
        engine: Engine,
        signer: CheckpointSigner | None = None,
        kinds: KindRegistry | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tsa_url: str = "",
        witnesses: tuple[WitnessConfig, ...] = (),
    ) -> None:
        self.engine = engine
        self.kinds = kinds or default_registry()
        self.clock = clock  # demos set it; the parts ask through this attribute
        writer = writer_for(engine)
        self.log = Log(writer, signer, lambda: self.clock(), tsa_url, witnesses)
        self.appender = Appender(
            writer, lambda: self.clock(), lambda: self.log.tree, lambda: self.log.signer
        )

    # What the log holds, kept readable (and settable, for tests and the CLI) on the ledger.
    signer = _delegated("signer")
    tsa_url = _delegated("tsa_url")
    witnesses = _delegated("witnesses")
    tsa_problem = _delegated("tsa_problem")
    witness_problems = _delegated("witness_problems")
    tree = _delegated("tree")

    @classmethod
    def for_data_dir(
        cls,
        engine: Engine,
        data_dir: Path,
        log_name: str,
        tsa_url: str = "",
        witnesses: tuple[WitnessConfig, ...] = (),
    ) -> Ledger:
        signer = CheckpointSigner.load_or_create(data_dir / "keys" / "checkpoint.pem", log_name)
        return cls(engine, signer, tsa_url=tsa_url, witnesses=witnesses)

    def on_append(self, listener: Listener) -> None:
        """Call `listener` with every committed batch of new entries (projections)."""
        self.appender.listeners.append(listener)

    # -- appending -------------------------------------------------------------------------

    async def append(self, draft: Draft) -> Entry:
        """Append one entry durably; a resend with the same client_id returns the original."""
        (entry,) = await self.append_all([draft])
        return entry

    async def append_all(self, drafts: list[Draft]) -> list[Entry]:
        """Append several entries in one transaction, so no reader sees some without the rest."""
        group = []
        for draft in drafts:
            check_envelope(draft)
            group.append((draft, self.kinds.validate(draft.kind, draft.payload)))
        # Answered with the log's signed promises, so the caller holds proof they were taken in.
        return await self.appender.submit(group)

    async def close(self) -> None:
        await self.appender.close()

    # -- reading ---------------------------------------------------------------------------

    async def _select(self, where: str, *args: Any, tail: str = "") -> list[dict]:
        return await LedgerEntry.raw(
            f"SELECT log_index, hash, client_id, body FROM ledger_entry WHERE {where} {tail}", *args
        )

    async def timeline(self, case_id: str, after_seq: int = -1, limit: int = 100) -> list[Entry]:
        rows = await self._select(
            "case_id = {} AND seq > {}", case_id, after_seq, tail=f"ORDER BY seq LIMIT {int(limit)}"
        )
        return [Entry.from_row(r) for r in rows]

    async def whole_timeline(self, case_id: str) -> list[Entry]:
        entries: list[Entry] = []
        while page := await self.timeline(case_id, entries[-1].seq if entries else -1, 1000):
            entries += page
        return entries

    async def whole_timelines(self, case_ids: list[str]) -> dict[str, list[Entry]]:
        """Several cases' timelines in one query (a list screen summarising each case)."""
        found: dict[str, list[Entry]] = {case_id: [] for case_id in case_ids}
        if not case_ids:
            return found
        marks = ", ".join("{}" for _ in case_ids)
        rows = await self._select(f"case_id IN ({marks})", *case_ids, tail="ORDER BY seq")
        for row in rows:
            entry = Entry.from_row(row)
            found[entry.case_id].append(entry)
        return found

    async def versions(self, case_id: str, entry_hash: str) -> list[Entry]:
        """Every version of the record `entry_hash` is part of: its original and all corrections.

        Corrections chain (a fix of a fix) and any of them may be named, so the whole family is
        found by following `corrects` back to the original. Empty when the case has no such entry.
        """
        root_of: dict[str, str] = {}
        family: dict[str, list[Entry]] = {}
        for entry in await self.whole_timeline(case_id):
            target = (entry.body.get("corrects") or {}).get("hash")
            root = root_of.get(target, entry.hash) if target else entry.hash
            root_of[entry.hash] = root
            family.setdefault(root, []).append(entry)
        return family.get(root_of.get(entry_hash, ""), [])

    async def of_kind(self, kind: str) -> list[Entry]:
        """Every entry of one kind, on any timeline, in log order (rare kinds only: no paging)."""
        rows = await self._select("kind = {}", kind, tail="ORDER BY log_index")
        return [Entry.from_row(r) for r in rows]

    async def get(self, entry_hash: str) -> Entry:
        rows = await self._select("hash = {}", entry_hash)
        if not rows:
            raise NotFound("no such entry", code="entry_not_found")
        return Entry.from_row(rows[0])

    async def since(self, log_index: int, limit: int = 1000) -> list[Entry]:
        """Entries after `log_index` in log order (for projections catching up)."""
        rows = await self._select(
            "log_index > {}", log_index, tail=f"ORDER BY log_index LIMIT {int(limit)}"
        )
        return [Entry.from_row(r) for r in rows]

    # -- the global log (backend/ledger/log.py) ------------------------------------------

    async def sync_tree(self) -> TiledTree:
        """Bring the log's tree up to the database (other workers may have appended)."""
        return await self.log.sync_tree()

    async def latest_checkpoint(self) -> Checkpoint | None:
        return await self.log.latest_checkpoint()

    async def checkpoint(self) -> Checkpoint:
        """Sign the current tree head, refusing if history disagrees with the last checkpoint."""
        return await self.log.checkpoint()

    async def checkpoints(self) -> list[Checkpoint]:
        return await self.log.checkpoints()

    async def protection_problems(self) -> list[str]:
        """What weakens the log's protection right now, in words for a person."""
        return await self.log.protection_problems()

    async def witness_outages(self) -> dict[str, str]:
        return await self.log.witness_outages()

    async def timestamp_outage(self) -> str | None:
        return await self.log.timestamp_outage()

    async def timestamp_tokens(self) -> dict[int, bytes]:
        """Tree size -> RFC 3161 token, for the checkpoints that have one."""
        return await self.log.timestamp_tokens()

    async def inclusion(self, entry_hash: str) -> dict[str, Any]:
        """An inclusion proof for an entry against a signed checkpoint that covers it."""
        return await self.log.inclusion(await self.get(entry_hash))

    async def consistency(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        return await self.log.consistency(old_size, new_size)

    async def tile(self, level: int, index: int, width: int) -> bytes | None:
        """A C2SP tlog-tiles tile of the log (None: no such tile yet)."""
        return await self.log.tile(level, index, width)

    async def entry_bundle(self, index: int, width: int) -> bytes | None:
        """A C2SP tlog-tiles entry bundle: the entry hashes of one leaf tile."""
        return await self.log.entry_bundle(index, width)

    async def case_ids(self) -> list[str]:
        rows = await LedgerEntry.raw("SELECT DISTINCT case_id FROM ledger_entry ORDER BY case_id")
        return [r["case_id"] for r in rows]


def entry_time(entry: Entry) -> datetime:
    """When the device says it happened, else when the server received it."""
    claimed = entry.body.get("claimed") or {}
    return parse_iso(claimed["time"]) if claimed.get("time") else entry.received_at
