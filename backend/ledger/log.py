"""The global log: the Merkle tree over every entry, signed checkpoints, time-stamps and proofs.

The tree is stored as tiles (backend/ledger/tiled_tree.py) that the appender writes with each
batch; everything here reads the database (other workers and processes append too) and never
writes an entry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from backend.errors import IntegrityFailure, Invalid
from backend.ledger.checkpoint import Checkpoint, CheckpointSigner, verify_note
from backend.ledger.entry import Entry
from backend.ledger.merkle import HASH_SIZE
from backend.ledger.tables import LedgerCheckpoint, LedgerEntry
from backend.ledger.tiled_tree import TiledTree
from backend.ledger.tiles import TILE_WIDTH
from backend.ledger.timestamp import TimestampError, request_timestamp
from backend.ledger.witnessing import WitnessConfig, collect_cosignatures, cosigned_notes
from backend.ledger.writer import Writer

log = logging.getLogger("casetrail.ledger")


class Log:
    """Keeps the global Merkle tree and signs checkpoints of it."""

    def __init__(
        self,
        writer: Writer,
        signer: CheckpointSigner | None,
        clock: Callable[[], datetime],
        tsa_url: str = "",
        witnesses: tuple[WitnessConfig, ...] = (),
    ) -> None:
        self.writer = writer
        self.signer = signer
        self.clock = clock
        self.tsa_url = tsa_url
        self.witnesses = witnesses
        # Why the last checkpoint went without a time-stamp or a witness's cosignature, until
        # one succeeds again: shown by the checkpoint API, `casetrail checkpoint` and `verify`.
        self.tsa_problem: str | None = None
        self.witness_problems: dict[str, str] = {}
        self._witness_problems_size = -1  # the checkpoint size `witness_problems` is about
        self.tree = TiledTree()
        self._checkpoint_lock = asyncio.Lock()

    async def sync_tree(self) -> TiledTree:
        """Bring the tree up to the database: other workers and processes append too.

        The size is read before taking the tree's lock, so a batch committed by this process
        meanwhile is simply found in the tree; only a tree that is behind reads tiles back
        (in the writer's transaction, which also tiles entries an older version left untiled).
        """
        tree = self.tree
        top = (await LedgerEntry.raw("SELECT MAX(log_index) AS top FROM ledger_entry"))[0]["top"]
        size = 0 if top is None else top + 1
        if size <= tree.size:
            return tree
        async with tree.lock:
            if size > tree.size:
                tree.adopt(await self.writer.run(lambda tx: tree.load(tx, size)))
        return tree

    # -- checkpoints -----------------------------------------------------------------------

    async def latest_checkpoint(self) -> Checkpoint | None:
        rows = await LedgerCheckpoint.raw(
            "SELECT note FROM ledger_checkpoint ORDER BY tree_size DESC LIMIT 1"
        )
        return self._parse(rows[0]["note"]) if rows else None

    def _parse(self, note: str) -> Checkpoint:
        if self.signer is None:
            raise IntegrityFailure("no checkpoint key configured", code="no_signer")
        return verify_note(note, self.signer.vkey)

    async def checkpoint(self) -> Checkpoint:
        """Sign the current tree head, refusing if history disagrees with the last checkpoint."""
        if self.signer is None:
            raise IntegrityFailure("no checkpoint key configured", code="no_signer")
        # The periodic job, an export and a supervisor may all ask at once: one signs, the
        # others get what it signed.
        async with self._checkpoint_lock:
            return await self._checkpoint_locked()

    async def _checkpoint_locked(self) -> Checkpoint:
        assert self.signer is not None
        tree = await self.sync_tree()
        latest = await self.latest_checkpoint()
        if latest is not None:
            if latest.size > tree.size or await tree.root(latest.size) != latest.root:
                raise IntegrityFailure(
                    f"the log no longer matches checkpoint of size {latest.size}: refusing to sign",
                    code="history_rewritten",
                )
            if latest.size == tree.size:
                return latest
        size = tree.size
        root = await tree.root(size)
        note = self.signer.sign(size, root)
        token = await self._timestamp(note)
        try:
            await LedgerCheckpoint.insert(
                LedgerCheckpoint(
                    tree_size=size,
                    root=root.hex(),
                    note=note,
                    created_at=self.clock(),
                    tsa_token=token.hex() if token else None,
                )
            )
        except Exception as exc:  # another worker signed this size first
            raced = await self.latest_checkpoint()
            if "unique" not in str(exc).lower() or raced is None or raced.size < size:
                raise
            if await tree.root(raced.size) != raced.root:
                raise IntegrityFailure(
                    f"a checkpoint of size {raced.size} disagrees with this log",
                    code="history_rewritten",
                ) from exc
            return raced
        signed = self._parse(note)
        if self.witnesses:
            self.witness_problems = await collect_cosignatures(self.witnesses, signed, tree)
            self._witness_problems_size = signed.size
        return signed

    async def checkpoints(self) -> list[Checkpoint]:
        rows = await LedgerCheckpoint.raw("SELECT note FROM ledger_checkpoint ORDER BY tree_size")
        return [self._parse(r["note"]) for r in rows]

    # -- time-stamps and what weakens the log's protection --------------------------------

    async def _timestamp(self, note: str) -> bytes | None:
        """An RFC 3161 token over the note from the configured TSA, so a key holder who rewrites
        history cannot back-date it. A TSA outage must not stop the ledger: sign without it."""
        if not self.tsa_url:
            return None
        try:
            token = await asyncio.to_thread(request_timestamp, note.encode(), self.tsa_url)
        except TimestampError as outage:
            log.warning("time-stamp authority unavailable; checkpoint signed without a token")
            self.tsa_problem = str(outage)
            return None
        self.tsa_problem = None
        return token

    async def protection_problems(self) -> list[str]:
        """What weakens the log's protection right now, in words for a person."""
        problems = []
        outage = await self.timestamp_outage()
        if outage:
            problems.append(outage)
        outages = await self.witness_outages()
        problems += [f"witness {name}: {why}" for name, why in outages.items()]
        return problems

    async def witness_outages(self) -> dict[str, str]:
        """Witness name -> why it has not cosigned the newest checkpoint.

        Read from the stored cosignatures, so every worker and server reports the same whichever
        one signed; the reason a witness gave is known only where it was asked.
        """
        if not self.witnesses:
            return {}
        latest = await self.latest_checkpoint()
        if latest is None:
            return dict(self.witness_problems)
        cosigned = {r["witness"] for r in await cosigned_notes(latest.size)}
        asked_here = self._witness_problems_size >= latest.size
        outages = {}
        for witness in self.witnesses:
            why = self.witness_problems.get(witness.name) if asked_here else None
            if why is None and witness.name not in cosigned:
                why = "has not cosigned the latest checkpoint"
            if why:
                outages[witness.name] = why
        return outages

    async def timestamp_outage(self) -> str | None:
        """Whether the newest checkpoints went without a time-stamp although a TSA is configured.

        Read from the stored checkpoints, not this worker's memory: the worker that signed may be
        another one, and an outage must stay visible until a stamp succeeds again."""
        if not self.tsa_url:
            return None
        rows = await LedgerCheckpoint.raw(
            "SELECT tree_size, created_at, tsa_token FROM ledger_checkpoint "
            "ORDER BY tree_size DESC LIMIT 1000"
        )
        unstamped = []
        for row in rows:
            if row["tsa_token"]:
                break
            unstamped.append(row)
        if not unstamped:
            return None
        since = unstamped[-1]["created_at"]
        since_text = since.isoformat() if hasattr(since, "isoformat") else str(since)
        why = f" ({self.tsa_problem})" if self.tsa_problem else ""
        return (
            f"time-stamp authority unavailable: the last {len(unstamped)} checkpoint(s), "
            f"since {since_text}, carry no time-stamp{why}"
        )

    async def timestamp_tokens(self) -> dict[int, bytes]:
        """Tree size -> RFC 3161 token, for the checkpoints that have one."""
        rows = await LedgerCheckpoint.raw(
            "SELECT tree_size, tsa_token FROM ledger_checkpoint WHERE tsa_token IS NOT NULL"
        )
        return {r["tree_size"]: bytes.fromhex(r["tsa_token"]) for r in rows}

    # -- tiles, as C2SP tlog-tiles clients fetch them ---------------------------------------

    async def tile(self, level: int, index: int, width: int) -> bytes | None:
        """A tile's bytes, or None if the log has no such tile (yet)."""
        found = await self.tree.tile(level, index, width)
        if found is None:  # another worker may have grown the log past this one's tree
            found = await (await self.sync_tree()).tile(level, index, width)
        return found

    async def entry_bundle(self, index: int, width: int) -> bytes | None:
        """The entries of leaf tile `index`: each log entry is its 32-byte entry hash (the leaf
        is SHA-256(0x00 || entry hash)), so bundles carry hashes and never a case's contents."""
        start = index * TILE_WIDTH
        rows = await LedgerEntry.raw(
            "SELECT hash FROM ledger_entry WHERE log_index >= {} AND log_index < {} "
            "ORDER BY log_index",
            start,
            start + width,
        )
        if len(rows) != width:
            return None
        return b"".join(HASH_SIZE.to_bytes(2, "big") + bytes.fromhex(r["hash"]) for r in rows)

    # -- proofs ----------------------------------------------------------------------------

    async def inclusion(self, entry: Entry) -> dict[str, Any]:
        """An inclusion proof for an entry against a signed checkpoint that covers it."""
        checkpoint = await self.latest_checkpoint()
        if checkpoint is None or checkpoint.size <= entry.log_index:
            checkpoint = await self.checkpoint()
        tree = await self.sync_tree()
        proof = await tree.inclusion_proof(entry.log_index, checkpoint.size)
        return {
            "entry_hash": entry.hash,
            "log_index": entry.log_index,
            "tree_size": checkpoint.size,
            "proof": [p.hex() for p in proof],
            "checkpoint": checkpoint.note,
        }

    async def consistency(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        tree = await self.sync_tree()
        new_size = tree.size if new_size is None else new_size
        if not 0 <= old_size <= new_size <= tree.size:
            raise Invalid("sizes out of range", code="bad_range")
        return {
            "old_size": old_size,
            "new_size": new_size,
            "proof": [p.hex() for p in await tree.consistency_proof(old_size, new_size)],
        }
