"""The ledger: appends entries to per-case hash chains and to the global Merkle log.

Appends are group-committed by one long-lived committer task: it takes everything queued since
its last commit into one durable transaction. No caller is answered before its entry is committed
and every projection has seen it, so a caller's next read finds what it just wrote; and each
caller waits for its own batch only, never for the queue behind it (a caller that drained the
queue itself was held for as long as others kept appending: tens of seconds under steady load).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine

from backend.errors import Conflict, IntegrityFailure, Invalid, NotFound
from backend.ledger.checkpoint import Checkpoint, CheckpointSigner, verify_note
from backend.ledger.entry import Draft, Entry, canonical, parse_iso
from backend.ledger.kinds import (
    SHARED,
    KindRegistry,
    compile_schema,
    default_registry,
    schema_errors,
)
from backend.ledger.merkle import MerkleTree
from backend.ledger.statements import sign_promise
from backend.ledger.tables import LedgerCheckpoint, LedgerEntry
from backend.ledger.timestamp import TimestampError, request_timestamp
from backend.ledger.witnessing import WitnessConfig, collect_cosignatures, cosigned_notes
from backend.ledger.writer import WriterConnection

Listener = Callable[[list[Entry]], Awaitable[None]]
Pending = tuple[Draft, int, "asyncio.Future[Entry]"]
MAX_BATCH = 256
log = logging.getLogger("casetrail.ledger")
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
        entry = Entry(self.next_index, hashlib.sha256(text).hexdigest(), json.loads(text))
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


class Ledger:
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
        self.tsa_url = tsa_url
        self.witnesses = witnesses
        # Why the last checkpoint went without a time-stamp or a witness's cosignature, until
        # one succeeds again: shown by the checkpoint API, `casetrail checkpoint` and `verify`.
        self.tsa_problem: str | None = None
        self.witness_problems: dict[str, str] = {}
        self._witness_problems_size = -1  # the checkpoint size `witness_problems` is about
        self.signer = signer
        self.kinds = kinds or default_registry()
        self.clock = clock
        self.tree = MerkleTree()
        # Groups of drafts that must land in one transaction (e.g. a case and its team).
        self._pending: list[list[Pending]] = []
        self._committer: asyncio.Task[None] | None = None
        self._listeners: list[Listener] = []
        self._tree_lock = asyncio.Lock()
        self._checkpoint_lock = asyncio.Lock()
        self._writer = WriterConnection(engine)

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
        self._listeners.append(listener)

    # -- appending -------------------------------------------------------------------------

    async def append(self, draft: Draft) -> Entry:
        """Append one entry durably; a resend with the same client_id returns the original."""
        (entry,) = await self.append_all([draft])
        return entry

    async def append_all(self, drafts: list[Draft]) -> list[Entry]:
        """Append several entries in one transaction, so no reader sees some without the rest."""
        loop = asyncio.get_running_loop()
        group: list[Pending] = []
        for draft in drafts:
            check_envelope(draft)
            group.append(
                (draft, self.kinds.validate(draft.kind, draft.payload), loop.create_future())
            )
        self._pending.append(group)
        self._wake_committer()
        # Every future is read, so a refusal shared by the whole group is never left unretrieved.
        results = await asyncio.gather(*(f for *_, f in group), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        # Each caller signs its own promises, outside the committer's loop, so signing overlaps
        # the next batch's write instead of lengthening every commit.
        return [self._promised(entry) for entry in results]  # type: ignore[arg-type]

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
            results = await self._write([[(d, v) for d, v, _ in group] for group in groups])
        except BaseException as exc:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(exc))
            raise
        fresh = [result for result, is_new in results if is_new and isinstance(result, Entry)]
        if fresh:
            # The tree takes the leaves that extend it. If another process appended in between,
            # it is behind and `sync_tree` catches it up from the database; if `sync_tree` already
            # read these leaves back, they are in it.
            for entry in fresh:
                if entry.log_index == self.tree.size:
                    self.tree.append(bytes.fromhex(entry.hash))
            # Projections run before anyone is answered: read-your-writes for every caller.
            for listener in self._listeners:
                try:
                    await listener(fresh)
                except Exception:  # the entries are durable; a projection catches up next batch
                    log.exception("projection listener failed")
        for (*_, future), (result, _) in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _promised(self, entry: Entry) -> Entry:
        """The entry with the log's signed promise, so its caller holds proof it was taken in."""
        if self.signer is None:
            return entry
        return dataclasses.replace(entry, promise=sign_promise(self.signer, entry))

    async def _write(
        self, groups: list[list[tuple[Draft, int]]]
    ) -> list[tuple[Entry | Exception, bool]]:
        for attempt in range(3):
            try:
                async with self._writer.transaction() as tx:
                    return await self._write_locked(tx, groups)
            except Exception as exc:  # unique violations mean another writer raced us
                if attempt == 2 or "unique" not in str(exc).lower():
                    raise
        raise AssertionError("unreachable")

    async def _write_locked(
        self, tx: WriterConnection, groups: list[list[tuple[Draft, int]]]
    ) -> list[tuple[Entry | Exception, bool]]:
        """Chain each group's drafts, or none of them: one refusal answers the whole group.

        Everything a refusal depends on (heads, known client_ids, corrected entries) is read inside
        this transaction, which the writer lock serialises across workers, so two racing requests
        are judged one after the other on both engines.
        """
        batch = [pending for group in groups for pending in group]
        client_ids = list({d.client_id for d, _ in batch})
        existing = {
            row["client_id"]: Entry.from_row(row)
            for row in await tx.fetch(
                "SELECT log_index, hash, client_id, body FROM ledger_entry "
                f"WHERE client_id IN ({', '.join('?' for _ in client_ids)})",
                *client_ids,
            )
        }
        top = (await tx.fetch("SELECT MAX(log_index) AS top FROM ledger_entry"))[0]["top"]
        case_ids = list({d.case_id for d, _ in batch})
        marks = ", ".join("?" for _ in case_ids)
        heads: dict[str, tuple[int, str | None]] = {c: (-1, None) for c in case_ids}
        for row in await tx.fetch(
            "SELECT e.case_id, e.seq, e.hash FROM ledger_entry AS e JOIN (SELECT case_id, "
            f"MAX(seq) AS seq FROM ledger_entry WHERE case_id IN ({marks}) GROUP BY case_id) AS h "
            "ON e.case_id = h.case_id AND e.seq = h.seq",
            *case_ids,
        ):
            heads[row["case_id"]] = (row["seq"], row["hash"])
        chain = _Chain(heads, existing, 0 if top is None else top + 1, self.clock())
        results: list[tuple[Entry | Exception, bool]] = []
        for group in groups:
            results += await self._write_group(tx, chain, group)
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
        return results

    async def _write_group(
        self, tx: WriterConnection, chain: _Chain, group: list[tuple[Draft, int]]
    ) -> list[tuple[Entry | Exception, bool]]:
        saved = chain.save()
        results: list[tuple[Entry | Exception, bool]] = []
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

    async def _refusal(self, tx: WriterConnection, chain: _Chain, draft: Draft) -> Exception | None:
        """Why this new draft may not be chained as things stand, or None."""
        if draft.kind == "case.opened" and chain.heads[draft.case_id][0] >= 0:
            return Conflict(
                "此案件编号已被使用 / A case with this id already exists", "case_exists"
            )
        if draft.corrects:
            return await self._correction_refusal(tx, chain, draft)
        return None

    async def _correction_refusal(
        self, tx: WriterConnection, chain: _Chain, draft: Draft
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
        await self._writer.close()

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

    # -- the global log --------------------------------------------------------------------

    async def sync_tree(self) -> MerkleTree:
        """Bring the in-memory tree up to the database (other workers may have appended)."""
        async with self._tree_lock:
            while True:
                rows = await LedgerEntry.raw(
                    "SELECT log_index, hash FROM ledger_entry WHERE log_index >= {} "
                    "ORDER BY log_index LIMIT 50000",
                    self.tree.size,
                )
                if not rows:
                    return self.tree
                for row in rows:
                    if row["log_index"] < self.tree.size:
                        continue  # the committer added it while this query ran
                    if row["log_index"] != self.tree.size:
                        raise IntegrityFailure(
                            f"log has a gap at index {self.tree.size}", code="log_gap"
                        )
                    self.tree.append(bytes.fromhex(row["hash"]))

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
            if latest.size > tree.size or tree.root(latest.size) != latest.root:
                raise IntegrityFailure(
                    f"the log no longer matches checkpoint of size {latest.size}: refusing to sign",
                    code="history_rewritten",
                )
            if latest.size == tree.size:
                return latest
        size = tree.size
        note = self.signer.sign(size, tree.root(size))
        token = await self._timestamp(note)
        try:
            await LedgerCheckpoint.insert(
                LedgerCheckpoint(
                    tree_size=size,
                    root=tree.root(size).hex(),
                    note=note,
                    created_at=self.clock(),
                    tsa_token=token.hex() if token else None,
                )
            )
        except Exception as exc:  # another worker signed this size first
            raced = await self.latest_checkpoint()
            if "unique" not in str(exc).lower() or raced is None or raced.size < size:
                raise
            if tree.root(raced.size) != raced.root:
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

    async def checkpoints(self) -> list[Checkpoint]:
        rows = await LedgerCheckpoint.raw("SELECT note FROM ledger_checkpoint ORDER BY tree_size")
        return [self._parse(r["note"]) for r in rows]

    async def inclusion(self, entry_hash: str) -> dict[str, Any]:
        """An inclusion proof for an entry against a signed checkpoint that covers it."""
        entry = await self.get(entry_hash)
        checkpoint = await self.latest_checkpoint()
        if checkpoint is None or checkpoint.size <= entry.log_index:
            checkpoint = await self.checkpoint()
        tree = await self.sync_tree()
        proof = tree.inclusion_proof(entry.log_index, checkpoint.size)
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
            "proof": [p.hex() for p in tree.consistency_proof(old_size, new_size)],
        }

    async def case_ids(self) -> list[str]:
        rows = await LedgerEntry.raw("SELECT DISTINCT case_id FROM ledger_entry ORDER BY case_id")
        return [r["case_id"] for r in rows]


def entry_time(entry: Entry) -> datetime:
    """When the device says it happened, else when the server received it."""
    claimed = entry.body.get("claimed") or {}
    return parse_iso(claimed["time"]) if claimed.get("time") else entry.received_at
