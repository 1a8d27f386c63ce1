"""The appender: queues drafts, chains them and group-commits them from one long-lived task.

Appends are group-committed by one committer task: it takes everything queued since its last
commit into one durable transaction. No caller is answered before its entry is committed and
every projection has seen it, so a caller's next read finds
what it just wrote; and each caller waits for its own batch only, never for the queue behind it
(a caller that drained the queue itself was held for as long as others kept appending: tens of
seconds under steady load).

Callers are answered with the log's signed promise of each entry. The promises of a whole batch
(new entries and resends) are made in one call on a thread of their own, started as soon as the
batch is chained (index, hash and time are settled then), so they are signed while its rows are
written and flushed and its projections run: OpenSSL signs without holding the GIL, so the loop
thread, which bounds the server's appends, no longer spends ~30 µs per entry signing. The
committer does not wait for them: the batch's callers are answered when its promises are made, while the next batch
is already being written.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.errors import Conflict, Invalid
from backend.ledger.canonical_json import canonical, read_canonical
from backend.ledger.checkpoint import CheckpointSigner
from backend.ledger.entry import Draft, Entry
from backend.ledger.reads import index_digests
from backend.ledger.statements import sign_promises
from backend.ledger.tiled_tree import TiledTree
from backend.ledger.tiles import Edge
from backend.ledger.writer import Writer

Listener = Callable[[list[Entry]], Awaitable[None]]
Pending = tuple[Draft, int, "asyncio.Future[Entry]"]
Written = list[tuple[Entry | Exception, bool]]
MAX_BATCH = 256
log = logging.getLogger("casetrail.ledger")


@dataclass
class _Chain:
    """What one write transaction has chained so far: heads, client_ids, the rows to insert."""

    heads: dict[str, tuple[int, str | None]]
    existing: dict[str, Entry]
    next_index: int
    received_at: datetime
    inserts: list[Entry] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    def add(self, draft: Draft, version: int) -> Entry:
        last_seq, last_hash = self.heads[draft.case_id]
        text = canonical(draft.body(last_seq + 1, last_hash, version, self.received_at))
        # The body as the stored bytes read back, so listeners applying this entry from memory
        # see exactly what a projection catching up (or a rebuild) reads from the log.
        entry = Entry(self.next_index, hashlib.sha256(text).hexdigest(), read_canonical(text))
        self.texts[entry.hash] = text.decode()
        self.next_index += 1
        self.heads[draft.case_id] = (entry.seq, entry.hash)
        self.existing[draft.client_id] = entry
        self.inserts.append(entry)
        return entry

    def save(self) -> tuple[dict[str, tuple[int, str | None]], dict[str, Entry], int, int]:
        return dict(self.heads), dict(self.existing), self.next_index, len(self.inserts)

    def restore(
        self, saved: tuple[dict[str, tuple[int, str | None]], dict[str, Entry], int, int]
    ) -> None:
        """Forget a refused group's drafts, as if it had never been sent."""
        self.heads, self.existing, self.next_index, kept = saved
        for entry in self.inserts[kept:]:
            self.texts.pop(entry.hash, None)
        del self.inserts[kept:]


class Appender:
    """The queue, the committer task and the chaining of drafts inside each write transaction."""

    def __init__(
        self,
        writer: Writer,
        clock: Callable[[], datetime],
        tree: Callable[[], TiledTree],
        signer: Callable[[], CheckpointSigner | None] = lambda: None,
    ) -> None:
        self.writer = writer
        self.clock = clock
        self.tree = tree  # the log's tree, asked each time (a test may put a fresh one in)
        self.signer = signer  # the log's key, asked each batch (None: answers carry no promise)
        # Groups of drafts that must land in one transaction (e.g. a case and its team).
        self._pending: list[list[Pending]] = []
        self._committer: asyncio.Task[None] | None = None
        self.listeners: list[Listener] = []
        # One thread signs, so batches' promises are made in commit order and signing takes at
        # most one core besides the event loop's.
        self._signing: ThreadPoolExecutor | None = None
        self._promising: set[asyncio.Future[list[Entry]]] = set()

    async def submit(self, group: list[tuple[Draft, int]]) -> list[Entry]:
        """Queue one group of checked drafts (with their schema versions); wait for its commit."""
        loop = asyncio.get_running_loop()
        pending = [(draft, version, loop.create_future()) for draft, version in group]
        self._pending.append(pending)
        self._wake_committer()
        if len(pending) == 1:  # most appends: no gathering future to build for one
            return [await pending[0][2]]
        # Every future is read, so a refusal shared by the whole group is never left unretrieved.
        results = await asyncio.gather(*(f for *_, f in pending), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results  # type: ignore[return-value]

    def _wake_committer(self) -> None:
        """Start the committer if it is not running. It is a task of its own, so a caller that
        goes away (a client disconnect cancels its request) can never cancel a commit."""
        if self._committer is None or self._committer.done():
            self._committer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self._pending:
            batch: list[list[Pending]] = []
            size = 0
            while self._pending and (not batch or size + len(self._pending[0]) <= MAX_BATCH):
                size += len(self._pending[0])
                batch.append(self._pending.pop(0))
            try:
                await self._commit(batch)
            except Exception:  # its callers have the error; the next batch still commits
                log.exception("ledger commit failed")

    async def _commit(self, groups: list[list[Pending]]) -> None:
        batch = [pending for group in groups for pending in group]
        try:
            results, promising = await self._write(
                [[(d, v) for d, v, _ in group] for group in groups]
            )
        except BaseException as exc:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(exc))
            raise
        fresh = [result for result, is_new in results if is_new and isinstance(result, Entry)]
        if fresh:
            # Listeners run before anyone is answered: read-your-writes for every caller.
            for listener in self.listeners:
                try:
                    await listener(fresh)
                except Exception:  # the entries are durable; a projection catches up next batch
                    log.exception("projection listener failed")
        if promising is None:
            _answer(batch, results, {})
        else:  # answered once signed; meanwhile the committer goes on to the next batch
            promising.add_done_callback(lambda done: _answer(batch, results, _promises(done)))

    def _promise(self, entries: list[Entry]) -> Future[list[Entry]] | None:
        """Start signing the promises of `entries` on the signing thread (None: nothing to sign).

        Called inside the write transaction, which may run on the database connection's thread."""
        signer = self.signer()
        if signer is None or not entries:
            return None
        # Two resends of one entry in a batch share its one promise.
        unique = list({entry.hash: entry for entry in entries}.values())
        try:
            if self._signing is None:
                self._signing = ThreadPoolExecutor(1, thread_name_prefix="casetrail-promises")
            return self._signing.submit(sign_promises, signer, unique)
        except RuntimeError:  # no thread to be had: the batch is durable, so it is answered
            log.exception("signing promises failed; answering without them")
            return None

    async def _write(
        self, groups: list[list[tuple[Draft, int]]]
    ) -> tuple[Written, asyncio.Future[list[Entry]] | None]:
        # The tree's tiles are written in the batch's transaction and its edge moves only once
        # that commits: tiles and entries never disagree, even after a kill -9.
        tree = self.tree()
        async with tree.lock:
            for attempt in range(3):
                try:
                    results, edge, signing = await self.writer.run(
                        lambda tx: self._write_locked(tx, groups, tree)
                    )
                    if edge is not None:
                        tree.adopt(edge)
                    if signing is None:
                        return results, None
                    promising = asyncio.wrap_future(signing)
                    self._promising.add(promising)
                    promising.add_done_callback(self._promising.discard)
                    return results, promising
                except Exception as exc:  # unique violations mean another writer raced us
                    if attempt == 2 or "unique" not in str(exc).lower():
                        raise
        raise AssertionError("unreachable")

    async def _write_locked(
        self, tx: Writer, groups: list[list[tuple[Draft, int]]], tree: TiledTree
    ) -> tuple[Written, Edge | None, Future[list[Entry]] | None]:
        """Chain each group's drafts, or none of them: one refusal answers the whole group.

        Everything a refusal depends on (heads, known client_ids, corrected entries) is read inside
        this transaction, which the writer lock serialises across workers, so two racing requests
        are judged one after the other on both engines.
        """
        batch = [pending for group in groups for pending in group]
        client_ids = list({d.client_id for d, _ in batch})
        case_ids = list({d.case_id for d, _ in batch})
        heads: dict[str, tuple[int, str | None]] = {c: (-1, None) for c in case_ids}
        existing: dict[str, Entry] = {}
        top = None
        # One statement for the three questions (the log's last index, the client_ids already
        # used, the cases' heads), its rows packed into one (`fetch_many`). Each head is one step
        # down the (case_id, seq) index: a MAX(seq) grouped over `case_id IN (...)` read every
        # entry of the batch's cases, and PostgreSQL scanned the whole table for it.
        for row in await tx.fetch_many(
            "SELECT 'top' AS what, MAX(log_index) AS n, NULL AS hash, NULL AS name, NULL AS body "
            "FROM ledger_entry UNION ALL "
            "SELECT 'known', log_index, hash, client_id, body FROM ledger_entry "
            f"WHERE client_id IN ({', '.join('?' for _ in client_ids)}) UNION ALL "
            "SELECT 'head', e.seq, e.hash, e.case_id, NULL FROM ledger_entry AS e JOIN (SELECT "
            "column1 AS case_id, (SELECT MAX(seq) FROM ledger_entry WHERE case_id = column1) "
            f"AS seq FROM (VALUES {', '.join('(?)' for _ in case_ids)}) AS wanted) AS h "
            "ON e.case_id = h.case_id AND e.seq = h.seq",
            ("what", "n", "hash", "name", "body"),
            *client_ids,
            *case_ids,
        ):
            if row["what"] == "top":
                top = row["n"]
            elif row["what"] == "known":
                known = {"log_index": row["n"], "hash": row["hash"], "body": row["body"]}
                existing[row["name"]] = Entry.from_row(known)
            else:
                heads[row["name"]] = (row["n"], row["hash"])
        chain = _Chain(heads, existing, 0 if top is None else top + 1, self.clock())
        results: Written = []
        for group in groups:
            results += await self._write_group(tx, chain, group)
        # Index, hash and time are settled once chained: the promises are signed while the rows
        # are written and flushed. Should the transaction fail, they are never handed out.
        signing = self._promise([result for result, _ in results if isinstance(result, Entry)])
        if chain.inserts:
            values = ", ".join("(?, ?, ?, ?, ?, ?, ?, ?, ?)" for _ in chain.inserts)
            args: list[Any] = []
            for e in chain.inserts:
                args += [
                    e.log_index, e.case_id, e.seq, e.hash, e.body["prev_hash"], e.kind,
                    e.body["client_id"], chain.received_at, chain.texts[e.hash],
                ]  # fmt: skip
            await tx.execute(
                "INSERT INTO ledger_entry (log_index, case_id, seq, hash, prev_hash, kind, "
                f"client_id, received_at, body) VALUES {values}",
                *args,
            )
            await index_digests(tx, chain.inserts)
            first = chain.inserts[0].log_index
            leaves = [bytes.fromhex(e.hash) for e in chain.inserts]
            return results, await tree.grown(tx, first, leaves), signing
        return results, None, signing

    async def _write_group(
        self, tx: Writer, chain: _Chain, group: list[tuple[Draft, int]]
    ) -> Written:
        saved = chain.save()
        results: Written = []
        refusal: Exception | None = None
        for draft, version in group:
            known = chain.existing.get(draft.client_id)
            if known is not None:
                if not draft.same_request(known.body):
                    refusal = Conflict(
                        "client_id already used for a different entry", "client_id_reused"
                    )
                    break
                results.append((known, False))
                continue
            refusal = await self._refusal(tx, chain, draft)
            if refusal is not None:
                break
            results.append((chain.add(draft, version), True))
        resent = [r for r, is_new in results if not is_new]
        if refusal is None and resent and len(resent) != len(group):
            # A group lands whole, so a true resend finds all of it: part old and part new is a
            # different request reusing the ids (e.g. a case resent with another team).
            refusal = Conflict(
                "these entries were sent together before with different contents",
                "client_id_reused",
            )
        if refusal is None:
            return results
        chain.restore(saved)
        return [(refusal, False) for _ in group]

    async def _refusal(self, tx: Writer, chain: _Chain, draft: Draft) -> Exception | None:
        """Why this new draft may not be chained as things stand, or None."""
        if draft.kind == "case.opened" and chain.heads[draft.case_id][0] >= 0:
            return Conflict(
                "此案件编号已被使用 / A case with this id already exists", "case_exists"
            )
        if draft.corrects:
            return await self._correction_refusal(tx, chain, draft)
        return None

    async def _correction_refusal(
        self, tx: Writer, chain: _Chain, draft: Draft
    ) -> Exception | None:
        """A correction replaces what it corrects, so it must be of the same case and kind."""
        target = draft.corrects["hash"]  # type: ignore[index]
        kind = next(
            (e.kind for e in chain.inserts if e.hash == target and e.case_id == draft.case_id),
            None,
        )
        if kind is None:
            rows = await tx.fetch(
                "SELECT kind FROM ledger_entry WHERE hash = ? AND case_id = ?",
                target,
                draft.case_id,
            )
            if not rows:
                return Invalid("the corrected entry is not on this timeline", "bad_correction")
            kind = rows[0]["kind"]
        if kind != draft.kind:
            return Invalid(
                f"a correction is of the kind it corrects ({kind}), not {draft.kind}",
                "bad_correction",
            )
        return None

    async def close(self) -> None:
        if self._committer is not None and not self._committer.done():
            await self._committer  # what callers were promised is written before the writer goes
        if self._promising:  # and answered, with its promise
            await asyncio.wait(set(self._promising))
        if self._signing is not None:
            self._signing.shutdown()
            self._signing = None
        await self.writer.close()


def _promises(promising: asyncio.Future[list[Entry]]) -> dict[str, Entry]:
    """Entry hash -> the entry with its promise; empty if signing failed.

    The entries are durable and projected by then, so their callers are answered without a
    promise rather than with an error (an error would have them, or a read that logged its
    access, fail for what was done); a resend gets the same entry, promised (deterministic).
    """
    if promising.cancelled():
        return {}
    if (failure := promising.exception()) is not None:
        log.error("signing promises failed; answering without them", exc_info=failure)
        return {}
    return {entry.hash: entry for entry in promising.result()}


def _answer(batch: list[Pending], results: Written, promised: dict[str, Entry]) -> None:
    """Resolve each caller's future: its entry (promised if signed) or the refusal of its group."""
    for (*_, future), (result, _) in zip(batch, results, strict=True):
        if future.done():  # its caller went away
            continue
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(promised.get(result.hash, result))
