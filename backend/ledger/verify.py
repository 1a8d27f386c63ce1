"""Offline verification: entry hashes, per-case chains, the global log against signed checkpoints, blobs."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.ledger.checkpoint import Checkpoint, CheckpointError, parse_body, verify_note
from backend.ledger.cosignature import cosigners, split_note
from backend.ledger.merkle import MerkleTree, verify_inclusion
from backend.ledger.statements import PROMISE_TYPE, read_promise
from backend.ledger.timestamp import TimestampError, verify_timestamp
from backend.moments import parse_iso

COLUMNS = ("case_id", "seq", "prev_hash", "kind", "client_id")
DISPOSAL_KIND = (
    "retention.disposed"  # payload.blobs: media removed after retention; tombstone stays
)


@dataclass(frozen=True)
class Problem:
    """One thing that does not verify, named so a person can find it."""

    where: str
    message: str
    log_index: int = -1

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Report:
    entries: int = 0
    cases: int = 0
    checkpoints: int = 0
    blobs: int = 0
    promises: int = 0
    timestamps: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Things that verify but leave part of the record unprotected (no checkpoint yet...).
    warnings: list[str] = field(default_factory=list)
    # A bundle checked only against the key it carries: the verifier key it names, not trusted.
    untrusted_key: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.untrusted_key

    def first(self) -> Problem | None:
        """The earliest bad entry or blob; problems not tied to an entry come after them."""
        if not self.problems:
            return None
        return min(self.problems, key=lambda p: (p.log_index < 0, p.log_index))


def check_entries(
    rows: Iterable[dict[str, Any]], report: Report, chains: bool = True
) -> list[dict[str, Any]]:
    """Check each stored row against its own canonical body, and (unless the rows are a few
    entries picked from timelines) each case's chain."""
    parsed: list[dict[str, Any]] = []
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        report.entries += 1
        where = f"entry {row['hash']} (case {row['case_id']} seq {row['seq']})"
        index = row["log_index"]
        try:
            body = json.loads(row["body"])
        except (TypeError, ValueError):
            report.problems.append(Problem(where, "stored body is not JSON", index))
            continue
        if not isinstance(body, dict):
            report.problems.append(Problem(where, "stored body is not a JSON object", index))
            continue
        text = row["body"].encode() if isinstance(row["body"], str) else row["body"]
        # The entry is its bytes: they were canonical when hashed, so checking the hash of the
        # stored bytes is enough, and far cheaper than re-canonicalising.
        if hashlib.sha256(text).hexdigest() != row["hash"]:
            report.problems.append(Problem(where, "hash does not match the stored body", index))
        for column in COLUMNS:
            if body.get(column) != row[column]:
                report.problems.append(
                    Problem(where, f"column {column} differs from the hashed body", index)
                )
        if "received_at" in row and not _same_moment(row["received_at"], body.get("received_at")):
            report.problems.append(
                Problem(where, "column received_at differs from the hashed body", index)
            )
        item = {**row, "parsed": body}
        parsed.append(item)
        by_case[body.get("case_id", row["case_id"])].append(item)
    report.cases = len(by_case)
    for case_id, items in by_case.items() if chains else ():
        items.sort(key=lambda r: r["parsed"].get("seq", -1))
        previous = None
        for expected_seq, item in enumerate(items):
            body = item["parsed"]
            where = f"entry {item['hash']} (case {case_id} seq {body.get('seq')})"
            if body.get("seq") != expected_seq:
                report.problems.append(
                    Problem(where, f"sequence gap: expected seq {expected_seq}", item["log_index"])
                )
            if body.get("prev_hash") != previous:
                report.problems.append(
                    Problem(
                        where, "prev_hash does not link to the previous entry", item["log_index"]
                    )
                )
            previous = item["hash"]
    return parsed


def check_log(
    rows: list[dict[str, Any]], notes: Iterable[str], vkey: str, report: Report
) -> MerkleTree:
    """Rebuild the global tree from the entries and hold it against every signed checkpoint."""
    rows = sorted(rows, key=lambda r: r["log_index"])
    tree = MerkleTree()
    for expected, row in enumerate(rows):
        if row["log_index"] != expected:
            report.problems.append(
                Problem(f"log index {expected}", "missing from the log", expected)
            )
            break
        tree.append(_leaf(row))
    signed: list[Checkpoint] = []
    for note in notes:
        report.checkpoints += 1
        try:
            signed.append(verify_note(note, vkey))
        except CheckpointError as exc:
            report.problems.append(Problem("checkpoint", f"signature does not verify: {exc}"))
    consistent = {c.size for c in signed if c.size <= tree.size and tree.root(c.size) == c.root}
    if rows and not signed:
        report.warnings.append(
            f"no signed checkpoint covers the log's {len(rows)} entries: "
            "run `casetrail checkpoint` (the server signs one within a minute of growth)"
        )
    elif rows and max(c.size for c in signed) < len(rows):
        covered = max(c.size for c in signed)
        report.warnings.append(
            f"{len(rows) - covered} entries after the last checkpoint (size {covered}) "
            "are protected only by the promises their senders hold"
        )
    for checkpoint in signed:
        if checkpoint.size > tree.size:
            report.problems.append(
                Problem(
                    f"checkpoint of size {checkpoint.size}",
                    f"log has only {tree.size} entries: entries were removed",
                    tree.size,
                )
            )
        elif checkpoint.size not in consistent:
            good, where = _rewritten(rows, consistent, checkpoint.size)
            report.problems.append(
                Problem(
                    f"checkpoint of size {checkpoint.size}",
                    f"log is not consistent with this signed checkpoint: {where}",
                    good,
                )
            )
    return tree


def _rewritten(
    rows: list[dict[str, Any]], consistent: Collection[int], size: int
) -> tuple[int, str]:
    """Where a rewrite lies: without the original leaves the entry cannot be named exactly, but
    the entries between the last checkpoint that still holds and the failing one can."""
    good = max((s for s in consistent if s < size), default=0)
    cases = sorted({str(r["case_id"]) for r in rows[good:size]})
    named = ", ".join(cases[:5]) + (f" and {len(cases) - 5} more" if len(cases) > 5 else "")
    return good, f"history was rewritten in log entries {good} to {size - 1} (case {named})"


def check_witnesses(
    rows: list[dict[str, Any]],
    tree: MerkleTree,
    notes: Iterable[str],
    witnesses: list[str],
    quorum: int,
    report: Report,
) -> None:
    """Hold the log against checkpoints cosigned by a quorum of trusted witnesses. The log's own
    key is not needed: a holder who rewrote history and re-signed it cannot get these."""
    cosigned: dict[tuple[int, bytes], set[str]] = defaultdict(set)
    for note in notes:
        found = cosigners(note, witnesses)
        if not found:
            continue
        try:
            _, size, root = parse_body(split_note(note)[0])
        except CheckpointError:
            continue
        cosigned[(size, root)].update(found)
    witnessed = sorted(key for key, by in cosigned.items() if len(by) >= quorum)
    if not witnessed:
        report.problems.append(
            Problem(
                "witnesses",
                f"no checkpoint is cosigned by {quorum} of the {len(witnesses)} trusted "
                "witnesses: nothing outside this server vouches for the log",
            )
        )
        return
    report.checkpoints = max(report.checkpoints, len(witnessed))
    consistent = {s for s, r in witnessed if s <= tree.size and tree.root(s) == r}
    for size, _root in witnessed:
        where = f"witnessed checkpoint of size {size}"
        if size > tree.size:
            report.problems.append(
                Problem(where, f"log has only {tree.size} entries: entries were removed", tree.size)
            )
        elif size not in consistent:
            good, text = _rewritten(rows, consistent, size)
            report.problems.append(
                Problem(where, f"the log is not what the witnesses cosigned: {text}", good)
            )
    largest = witnessed[-1][0]
    if largest < tree.size:
        report.warnings.append(
            f"{tree.size - largest} entries after the last witnessed checkpoint (size {largest}) "
            "are vouched for by this server and its clients' promises only"
        )


async def check_tiles(tree: MerkleTree, report: Report) -> None:
    """Each stored tile must hold the hashes of the tree rebuilt from the entries: tiles are what
    transparency-log clients fetch, and what the server computes proofs and checkpoints from."""
    from backend.ledger.tables import LedgerTile
    from backend.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, tile_path

    after = (-1, -1)
    while True:
        try:
            rows = await LedgerTile.raw(
                "SELECT tile_level, tile_index, hashes FROM ledger_tile WHERE tile_level > {} "
                "OR (tile_level = {} AND tile_index > {}) ORDER BY tile_level, tile_index "
                "LIMIT 500",
                after[0],
                after[0],
                after[1],
            )
        except Exception as missing:  # a database from before tiles, examined as found
            if "ledger_tile" not in str(missing):
                raise
            return
        if not rows:
            return
        for row in rows:
            level, index = row["tile_level"], row["tile_index"]
            start = index * TILE_WIDTH
            expected = tree.hashes(TILE_HEIGHT * level, start, TILE_WIDTH)
            if bytes(row["hashes"]) != expected:
                report.problems.append(
                    Problem(
                        f"stored tile {tile_path(level, index)}",
                        "does not match the tree of the entries: the tiles served to "
                        "transparency-log clients tell another history",
                        start << (TILE_HEIGHT * level),
                    )
                )
        after = (rows[-1]["tile_level"], rows[-1]["tile_index"])


def _leaf(row: dict[str, Any]) -> bytes:
    """The row's hash as a leaf; a hash that is not even hex still gets a (wrong) leaf so the
    tree is rebuilt and checked instead of verification stopping at it."""
    try:
        return bytes.fromhex(row["hash"])
    except (TypeError, ValueError):
        return hashlib.sha256(str(row["hash"]).encode()).digest()


def check_inclusion(
    rows: Iterable[dict[str, Any]], proofs: dict[str, dict[str, Any]], vkey: str, report: Report
) -> set[str]:
    """For a bundle holding part of the log: each entry's inclusion proof against its checkpoint.

    Returns the checkpoint notes that verified (and counts them in the report)."""
    verified: set[str] = set()
    for row in rows:
        proof = proofs.get(row["hash"])
        where = f"entry {row['hash']} (case {row['case_id']} seq {row['seq']})"
        if not isinstance(proof, dict):
            report.problems.append(Problem(where, "no inclusion proof", row["log_index"]))
            continue
        try:
            checkpoint = verify_note(proof.get("checkpoint", ""), vkey)
        except CheckpointError as exc:
            report.problems.append(
                Problem(where, f"checkpoint does not verify: {exc}", row["log_index"])
            )
            continue
        verified.add(checkpoint.note)
        try:
            path = [bytes.fromhex(p) for p in proof["proof"]]
            included = verify_inclusion(
                bytes.fromhex(row["hash"]), row["log_index"], checkpoint.size, path, checkpoint.root
            )
        except (KeyError, TypeError, ValueError):
            included = False
        if not included:
            report.problems.append(
                Problem(where, "not included in the signed log (proof fails)", row["log_index"])
            )
    report.checkpoints = max(report.checkpoints, len(verified))
    return verified


# A claim check re-runs a computation entries claim (cases' random inspection draws) and names
# each entry whose claim does not follow: (entry hash, where, what is wrong). The ledger comes
# before the domains that make such claims, so they hand it their checks (backend/handoffs.py).
ClaimCheck = Callable[[list[dict[str, Any]]], Iterable[tuple[str, str, str]]]
CLAIM_CHECKS: list[ClaimCheck] = []


def add_claim_check(check: ClaimCheck) -> None:
    """Have every bundle and database verification run `check` (once, however often added)."""
    if check not in CLAIM_CHECKS:
        CLAIM_CHECKS.append(check)


def check_claims(parsed: list[dict[str, Any]], report: Report) -> None:
    """Re-run every computation the entries claim (e.g. a random draw from its commitment and reveal).

    An entry that hashes and chains correctly can still claim a result its inputs do not give
    (written past the endpoint that computes it, or by an old build).
    """
    index = {item["hash"]: item["log_index"] for item in parsed}
    bodies = [{**item["parsed"], "hash": item["hash"]} for item in parsed]
    for check in CLAIM_CHECKS:
        for entry_hash, where, message in check(bodies):
            report.problems.append(Problem(where, message, index[entry_hash]))


BlobReader = Callable[[str], AsyncIterator[bytes]]


async def check_blobs(
    parsed: list[dict[str, Any]],
    read: BlobReader,
    exists: Callable[[str], Awaitable[bool]],
    report: Report,
    skip: Collection[str] = (),
) -> None:
    """Every referenced blob is present and still hashes to its name, unless disposed by a tombstone
    (or in `skip`: a bundle's `withheld`, named by an entry but not the case's to export)."""
    disposed = {
        sha
        for item in parsed
        if item["parsed"].get("kind") == DISPOSAL_KIND
        and isinstance(item["parsed"].get("payload"), dict)
        for sha in item["parsed"]["payload"].get("blobs") or []
        if isinstance(sha, str)
    }
    seen: set[str] = set()
    for item in sorted(parsed, key=lambda r: r["log_index"]):
        named = item["parsed"].get("blobs", [])
        for sha in named if isinstance(named, list) else []:
            if not isinstance(sha, str):
                continue
            if sha in seen or sha in disposed or sha in skip:
                continue
            seen.add(sha)
            report.blobs += 1
            where = f"blob {sha} (entry {item['hash']})"
            if not await exists(sha):
                report.problems.append(Problem(where, "missing", item["log_index"]))
                continue
            digest = hashlib.sha256()
            try:
                async for chunk in read(sha):
                    digest.update(chunk)
            except Exception as unreadable:  # a corrupt store or zip member is reported by name
                report.problems.append(
                    Problem(where, f"unreadable: {unreadable}", item["log_index"])
                )
                continue
            if digest.hexdigest() != sha:
                report.problems.append(
                    Problem(where, "content altered (hash differs)", item["log_index"])
                )


def check_timestamps(
    checkpoints: list[dict[str, Any]], chain: bytes | None, report: Report
) -> None:
    """RFC 3161 tokens of the checkpoints, against the TSA certificate chain the reader trusts;
    and an outage (checkpoints signed without a stamp once stamps were made) reported."""
    stamped = [c for c in checkpoints if c.get("tsa_token")]
    if stamped and chain is None:
        report.warnings.append(
            f"{len(stamped)} time-stamp(s) not checked: give the TSA's certificate chain "
            "(--tsa-cert or CASETRAIL_TSA_CERT)"
        )
    for row in stamped if chain is not None else ():
        where = f"checkpoint of size {row['tree_size']}"
        try:
            verify_timestamp(bytes.fromhex(row["tsa_token"]), row["note"].encode(), chain)
        except (TimestampError, ValueError) as bad:
            report.problems.append(Problem(where, f"time-stamp does not verify: {bad}"))
            continue
        report.timestamps += 1
    if chain is not None and checkpoints and not stamped:
        report.warnings.append("no checkpoint carries a time-stamp")
    if stamped:
        first = min(c["tree_size"] for c in stamped)
        missing = sorted(c["tree_size"] for c in checkpoints if not c.get("tsa_token"))
        missing = [size for size in missing if size > first]
        if missing:
            report.warnings.append(
                f"{len(missing)} checkpoint(s) signed without a time-stamp (sizes {missing[0]} "
                f"to {missing[-1]}): the time-stamp authority was unavailable"
            )


def promises_in(document: Any) -> list[str]:
    """Every promise note in a JSON document: a list of them, an outbox dump, a receipt..."""
    found: list[str] = []
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and item.startswith(PROMISE_TYPE + "\n"):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(set(found))


def check_promises(
    rows: list[dict[str, Any]], notes: Iterable[str], vkey: str, report: Report
) -> None:
    """Hold the log against promises its clients kept: each promised entry must still be there,
    at its index, unchanged. This covers entries appended after the last checkpoint."""
    by_index = {r["log_index"]: r for r in rows}
    by_hash = {r["hash"]: r for r in rows}
    for note in notes:
        report.promises += 1
        try:
            promise = read_promise(note, vkey)
        except CheckpointError as exc:
            report.problems.append(Problem("promise", f"signature does not verify: {exc}"))
            continue
        where = f"promised entry {promise.hash} (log index {promise.log_index})"
        row = by_index.get(promise.log_index)
        if row is not None and row["hash"] == promise.hash:
            continue
        if promise.hash in by_hash:
            moved = by_hash[promise.hash]
            message = f"stands at log index {moved['log_index']}: the log was reordered"
        elif row is None:
            message = (
                f"received {promise.received_at} is missing from the log: deleted or truncated"
            )
        else:
            message = (
                f"received {promise.received_at} was replaced by entry {row['hash']} "
                f"(case {row['case_id']} seq {row['seq']}): history was rewritten"
            )
        report.problems.append(Problem(where, message, promise.log_index))


ROW_COLUMNS = "log_index, case_id, seq, hash, prev_hash, kind, client_id, body"


def _same_moment(column: Any, hashed: Any) -> bool:
    try:
        stored = column if isinstance(column, datetime) else parse_iso(str(column))
        stored = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
        return stored == parse_iso(hashed)
    except (TypeError, ValueError, AttributeError):
        return False


async def verify_database(
    ledger: Any,
    blobs: Any | None = None,
    case_id: str | None = None,
    pinned_notes: Iterable[str] = (),
    promises: Iterable[str] = (),
    vkey: str | None = None,
    witnesses: list[str] | None = None,
    quorum: int = 1,
    tsa_chain: bytes | None = None,
) -> Report:
    """Verify what the database holds: every entry (or one case), the log, checkpoints, blobs.

    `pinned_notes` are checkpoints kept outside the database (a party's receipt, a supervisor's
    device): a rewrite that also replaced the stored checkpoints still fails against them.
    `promises` are signed entry timestamps clients kept; `vkey` a trusted key to use instead of
    the one in the data directory (which an insider holding the directory could have replaced).
    """
    from backend.ledger.tables import LedgerCheckpoint, LedgerCosignature, LedgerEntry

    report = Report()
    rows = await LedgerEntry.raw(
        f"SELECT {ROW_COLUMNS}, received_at FROM ledger_entry ORDER BY log_index"
    )
    selected = [r for r in rows if case_id is None or r["case_id"] == case_id]
    if case_id is not None and not selected:
        report.problems.append(Problem(f"case {case_id}", "no entries"))
    parsed = check_entries(selected, report)
    check_claims(parsed, report)
    stored = await LedgerCheckpoint.raw("SELECT tree_size, note, tsa_token FROM ledger_checkpoint")
    notes = [r["note"] for r in stored]
    cosigned = [
        r["note"] for r in await LedgerCosignature.raw("SELECT note FROM ledger_cosignature")
    ]
    vkey = vkey or ledger.signer.vkey
    tree = check_log(rows, [*notes, *pinned_notes], vkey, report)
    await check_tiles(tree, report)
    check_promises(rows, promises, vkey, report)
    check_timestamps(stored, tsa_chain, report)
    if witnesses:
        check_witnesses(rows, tree, [*cosigned, *pinned_notes], witnesses, quorum, report)
    if blobs is not None:
        await check_blobs(parsed, blobs.open, blobs.exists, report)
    return report
