"""Offline verification: entry hashes, per-case chains, the global log against signed checkpoints, blobs."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.ledger.checkpoint import CheckpointError, verify_note
from backend.ledger.entry import parse_iso
from backend.ledger.merkle import MerkleTree, verify_inclusion

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
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def first(self) -> Problem | None:
        """The earliest bad entry or blob; problems not tied to an entry come after them."""
        if not self.problems:
            return None
        return min(self.problems, key=lambda p: (p.log_index < 0, p.log_index))


def check_entries(rows: Iterable[dict[str, Any]], report: Report) -> list[dict[str, Any]]:
    """Check each stored row against its own canonical body, and each case's chain."""
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
    for case_id, items in by_case.items():
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
        tree.append(bytes.fromhex(row["hash"]))
    for note in notes:
        report.checkpoints += 1
        try:
            checkpoint = verify_note(note, vkey)
        except CheckpointError as exc:
            report.problems.append(Problem("checkpoint", f"signature does not verify: {exc}"))
            continue
        if checkpoint.size > tree.size:
            report.problems.append(
                Problem(
                    f"checkpoint of size {checkpoint.size}",
                    f"log has only {tree.size} entries: entries were removed",
                    tree.size,
                )
            )
        elif tree.root(checkpoint.size) != checkpoint.root:
            report.problems.append(
                Problem(
                    f"checkpoint of size {checkpoint.size}",
                    "log is not consistent with this signed checkpoint: history was rewritten",
                    _first_divergence(rows, checkpoint.size),
                )
            )
    return tree


def _first_divergence(rows: list[dict[str, Any]], size: int) -> int:
    # Without the original leaves we cannot name the rewritten entry exactly; the checked
    # entries' own problems (if any) name it. Report the checkpoint's range.
    return min(size, len(rows)) - 1


def check_inclusion(
    rows: Iterable[dict[str, Any]], proofs: dict[str, dict[str, Any]], vkey: str, report: Report
) -> None:
    """For a bundle holding part of the log: each entry's inclusion proof against its checkpoint."""
    for row in rows:
        proof = proofs.get(row["hash"])
        where = f"entry {row['hash']} (case {row['case_id']} seq {row['seq']})"
        if proof is None:
            report.problems.append(Problem(where, "no inclusion proof", row["log_index"]))
            continue
        try:
            checkpoint = verify_note(proof["checkpoint"], vkey)
        except CheckpointError as exc:
            report.problems.append(
                Problem(where, f"checkpoint does not verify: {exc}", row["log_index"])
            )
            continue
        if not verify_inclusion(
            bytes.fromhex(row["hash"]),
            row["log_index"],
            checkpoint.size,
            [bytes.fromhex(p) for p in proof["proof"]],
            checkpoint.root,
        ):
            report.problems.append(
                Problem(where, "not included in the signed log (proof fails)", row["log_index"])
            )


def check_draws(parsed: list[dict[str, Any]], report: Report) -> None:
    """Re-run every random inspection draw from its commitment and reveal, naming the case.

    A draw is a computation the entries claim; an entry that hashes and chains correctly can still
    claim a result its commitment does not give (written past the draw endpoint, or by an old build).
    """
    from backend.cases.random_draw import draw_problems

    index = {item["hash"]: item["log_index"] for item in parsed}
    bodies = [{**item["parsed"], "hash": item["hash"]} for item in parsed]
    for problem in draw_problems(bodies):
        title = f" “{problem.case_title}”" if problem.case_title else ""
        where = f"case {problem.case_id}{title}, draw reveal {problem.entry_hash}"
        report.problems.append(Problem(where, problem.message(), index[problem.entry_hash]))


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
        for sha in item["parsed"].get("payload", {}).get("blobs", [])
    }
    seen: set[str] = set()
    for item in sorted(parsed, key=lambda r: r["log_index"]):
        for sha in item["parsed"].get("blobs", []):
            if sha in seen or sha in disposed or sha in skip:
                continue
            seen.add(sha)
            report.blobs += 1
            where = f"blob {sha} (entry {item['hash']})"
            if not await exists(sha):
                report.problems.append(Problem(where, "missing", item["log_index"]))
                continue
            digest = hashlib.sha256()
            async for chunk in read(sha):
                digest.update(chunk)
            if digest.hexdigest() != sha:
                report.problems.append(
                    Problem(where, "content altered (hash differs)", item["log_index"])
                )


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
) -> Report:
    """Verify what the database holds: every entry (or one case), the log, checkpoints, blobs.

    `pinned_notes` are checkpoints kept outside the database (a party's receipt, a supervisor's
    device): a rewrite that also replaced the stored checkpoints still fails against them.
    """
    from backend.ledger.tables import LedgerCheckpoint, LedgerEntry

    report = Report()
    rows = await LedgerEntry.raw(
        f"SELECT {ROW_COLUMNS}, received_at FROM ledger_entry ORDER BY log_index"
    )
    selected = [r for r in rows if case_id is None or r["case_id"] == case_id]
    if case_id is not None and not selected:
        report.problems.append(Problem(f"case {case_id}", "no entries"))
    parsed = check_entries(selected, report)
    check_draws(parsed, report)
    notes = [r["note"] for r in await LedgerCheckpoint.raw("SELECT note FROM ledger_checkpoint")]
    vkey = ledger.signer.vkey
    check_log(rows, [*notes, *pinned_notes], vkey, report)
    if blobs is not None:
        await check_blobs(parsed, blobs.open, blobs.exists, report)
    return report
