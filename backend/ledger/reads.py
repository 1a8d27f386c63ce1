"""What the domains read from the log: the ledger is the only module that names `ledger_entry`.

Domains ask for entries by what they mean (a client id, kinds on some timelines, hashes, the
timelines that name a blob) instead of writing SQL against the table, so the table can change
(indexes, a split by engine, a projection) without touching every domain that reads it.

"Which entries name digest X" (a blob's SHA-256, an import token's hash) is answered from
`ledger_entry_digest`, an index the writer fills in the same transaction as the entries (and a
migration filled for the entries before it), never by scanning entry bodies for the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from backend.database import in_lists
from backend.ledger.entry import Entry
from backend.ledger.tables import LedgerEntry, LedgerEntryDigest
from backend.ledger.verify import ROW_COLUMNS

_ENTRY_COLUMNS = "log_index, hash, client_id, body"
_HEX64 = frozenset("0123456789abcdef")


def _marks(values: list[Any]) -> str:
    return ", ".join("{}" for _ in values)


async def _entries(where: str, *args: Any, tail: str = "ORDER BY log_index") -> list[Entry]:
    rows = await LedgerEntry.raw(
        f"SELECT {_ENTRY_COLUMNS} FROM ledger_entry WHERE {where} {tail}", *args
    )
    return [Entry.from_row(r) for r in rows]


async def by_client_id(client_id: str) -> Entry | None:
    """The entry appended with `client_id` (every client id is used once), or None."""
    found = await _entries("client_id = {}", client_id, tail="")
    return found[0] if found else None


async def by_hashes(hashes: Iterable[str]) -> dict[str, Entry]:
    """The entries with these hashes, on any timeline, by hash (unknown hashes are left out)."""
    found: dict[str, Entry] = {}
    for chunk in in_lists(hashes):
        for entry in await _entries(f"hash IN ({_marks(chunk)})", *chunk, tail=""):
            found[entry.hash] = entry
    return found


async def of_kinds(case_ids: Iterable[str], kinds: Iterable[str]) -> list[Entry]:
    """Entries of the given kinds on the given timelines, in log order."""
    kinds = list(dict.fromkeys(kinds))
    if not kinds:
        return []
    out: list[Entry] = []
    for chunk in in_lists(case_ids):
        out += await _entries(
            f"case_id IN ({_marks(chunk)}) AND kind IN ({_marks(kinds)})", *chunk, *kinds
        )
    return sorted(out, key=lambda e: e.log_index)


async def of_kinds_anywhere(kinds: Iterable[str]) -> list[Entry]:
    """Every timeline's entries of these kinds, in log order (kinds that stay few: no paging)."""
    kinds = list(dict.fromkeys(kinds))
    if not kinds:
        return []
    return await _entries(f"kind IN ({_marks(kinds)})", *kinds)


async def heads(case_ids: Iterable[str]) -> dict[str, int]:
    """Each timeline's newest log index (timelines without entries are left out)."""
    out: dict[str, int] = {}
    for chunk in in_lists(case_ids):
        # One step down the (case_id, seq) index per case, not every entry of every case.
        for r in await LedgerEntry.raw(
            "SELECT column1 AS case_id, (SELECT log_index FROM ledger_entry WHERE case_id = "
            "column1 ORDER BY seq DESC LIMIT 1) AS head "
            f"FROM (VALUES {', '.join('({})' for _ in chunk)}) AS wanted",
            *chunk,
        ):
            if r["head"] is not None:
                out[r["case_id"]] = r["head"]
    return out


async def first_of_kind(case_id: str, kind: str) -> Entry | None:
    """The earliest entry of `kind` on one timeline (its `case.opened`, say), or None."""
    found = await _entries("case_id = {} AND kind = {}", case_id, kind, tail="ORDER BY seq LIMIT 1")
    return found[0] if found else None


async def stored_rows(case_id: str) -> list[dict[str, Any]]:
    """A timeline's stored rows in chain order, with the columns verification checks."""
    return await LedgerEntry.raw(
        f"SELECT {ROW_COLUMNS} FROM ledger_entry WHERE case_id = {{}} ORDER BY seq", case_id
    )


async def stored_rows_of_kinds(kinds: Iterable[str]) -> list[dict[str, Any]]:
    """Every timeline's stored rows of these kinds in log order (rare kinds: passkeys)."""
    kinds = list(dict.fromkeys(kinds))
    return await LedgerEntry.raw(
        f"SELECT {ROW_COLUMNS} FROM ledger_entry WHERE kind IN ({_marks(kinds)}) "
        "ORDER BY log_index",
        *kinds,
    )


async def naming(
    digest: str,
    *,
    kinds: Iterable[str] | None = None,
    case_ids: Iterable[str] | None = None,
) -> list[Entry]:
    """Entries that name the SHA-256 `digest` (see `named_digests`), in log order, narrowed to
    some kinds and timelines when given. Naming is not holding: the caller decides which of
    these entries give a timeline the blob (evidence/holdings.py) or what a match means."""
    where, args = ["d.digest = {}"], [digest]
    for column, wanted in (("d.kind", kinds), ("d.case_id", case_ids)):
        if wanted is None:
            continue
        values = list(dict.fromkeys(wanted))
        if not values:
            return []
        where.append(f"{column} IN ({_marks(values)})")
        args += values
    rows = await LedgerEntryDigest.raw(
        "SELECT e.log_index, e.hash, e.client_id, e.body FROM ledger_entry_digest AS d "
        "JOIN ledger_entry AS e ON e.log_index = d.log_index "
        f"WHERE {' AND '.join(where)} ORDER BY e.log_index",
        *args,
    )
    return [Entry.from_row(r) for r in rows]


# -- the digest index, written with the entries ------------------------------------------------

# Payload fields that hold a SHA-256 someone looks entries up by: a recorder file's digest (its
# custody and links), an import token's hash (the token's owner on every bearer request).
_DIGEST_FIELDS = ("sha256", "token_sha256")


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64


def named_digests(body: dict[str, Any]) -> set[str]:
    """The SHA-256 digests an entry body names: its `blobs` and the payload's digest fields."""
    payload = body.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    found = [*(body.get("blobs") or []), *(payload.get(f) for f in _DIGEST_FIELDS)]
    return {value for value in found if _is_sha256(value)}


def digest_rows(entries: Iterable[Entry]) -> list[tuple[str, int, str, str]]:
    """(digest, log_index, case_id, kind) for every digest each entry names."""
    return [
        (digest, e.log_index, e.case_id, e.kind)
        for e in entries
        for digest in sorted(named_digests(e.body))
    ]


class _Transaction(Protocol):
    async def execute(self, sql: str, *args: Any) -> None: ...


async def index_digests(tx: _Transaction, entries: list[Entry]) -> None:
    """Record which digests the new entries name, inside the transaction that appends them."""
    rows = digest_rows(entries)
    if not rows:
        return
    await tx.execute(
        "INSERT INTO ledger_entry_digest (digest, log_index, case_id, kind) VALUES "
        + ", ".join("(?, ?, ?, ?)" for _ in rows),
        *[value for row in rows for value in row],
    )


class LedgerReads:
    """The reads above as methods of `Ledger`, for code that holds the ledger; code that does
    not (an access check, a projection) calls the module's functions, which read the same table."""

    by_client_id = staticmethod(by_client_id)
    by_hashes = staticmethod(by_hashes)
    of_kinds = staticmethod(of_kinds)
    of_kinds_anywhere = staticmethod(of_kinds_anywhere)
    first_of_kind = staticmethod(first_of_kind)
    stored_rows = staticmethod(stored_rows)
    stored_rows_of_kinds = staticmethod(stored_rows_of_kinds)
    naming = staticmethod(naming)
