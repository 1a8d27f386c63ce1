"""Projections: tables derived from the ledger, kept current by listeners and rebuildable from the log.

A follower applies each committed batch straight from memory when it has seen every entry
before it; otherwise (its first batch, another worker's entries, an earlier failure) it catches
up from the stored cursor. In the fast path the cursor moves by compare-and-set in the same
transaction as the projection's writes, so a worker whose view is stale applies nothing and
reads the log instead. Batches holding none of the kinds a projection wants are not written at
all: its stored cursor may lag behind, and catching up replays those entries as no-ops.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.tables import ProjectionCursor

Apply = Callable[[Entry], Awaitable[None]]
Wants = Callable[[Entry], bool]

_MOVE = (
    "UPDATE projection_cursor SET log_index = {} WHERE name = {} AND log_index = {} "
    "RETURNING log_index"
)


async def _catch_up(ledger: Ledger, name: str, apply: Apply) -> tuple[int, int]:
    """Apply what the stored cursor has not covered; (entries applied, cursor now)."""
    rows = await ProjectionCursor.raw(
        "SELECT log_index FROM projection_cursor WHERE name = {}", name
    )
    if rows:
        cursor = rows[0]["log_index"]
    else:
        await ProjectionCursor.insert(ProjectionCursor(name=name, log_index=-1))
        cursor = -1
    applied = 0
    while batch := await ledger.since(cursor):
        for entry in batch:
            await apply(entry)
        cursor = batch[-1].log_index
        applied += len(batch)
        await ProjectionCursor.raw(
            "UPDATE projection_cursor SET log_index = {} WHERE name = {}", cursor, name
        )
    return applied, cursor


async def catch_up(ledger: Ledger, name: str, apply: Apply) -> int:
    """Apply every entry the projection `name` has not seen yet; returns how many."""
    return (await _catch_up(ledger, name, apply))[0]


class Follower:
    """The listener keeping one projection current (see the module docstring)."""

    def __init__(self, ledger: Ledger, name: str, apply: Apply, wants: Wants | None) -> None:
        self.ledger = ledger
        self.name = name
        self.apply = apply
        self.wants = wants
        self.seen: int | None = None  # every entry up to here is applied or not wanted
        self.stored: int | None = None  # the stored cursor, as this process last read or set it

    async def __call__(self, entries: list[Entry]) -> None:
        first, last = entries[0].log_index, entries[-1].log_index
        if self.seen is None or self.stored is None or first != self.seen + 1:
            await self.catch_up()
            return
        wanted = entries if self.wants is None else [e for e in entries if self.wants(e)]
        if wanted and not await self._apply(wanted, last):
            await self.catch_up()
            return
        self.seen = last

    async def catch_up(self) -> int:
        self.seen = None  # should catching up fail, the next batch tries again
        applied, self.stored = await _catch_up(self.ledger, self.name, self.apply)
        self.seen = self.stored
        return applied

    async def _apply(self, entries: list[Entry], last: int) -> bool:
        async with self.ledger.engine.transaction():
            if not await ProjectionCursor.raw(_MOVE, last, self.name, self.stored):
                return False  # someone else moved the cursor: our view is stale
            for entry in entries:
                await self.apply(entry)
        self.stored = last
        return True


def follow(ledger: Ledger, name: str, apply: Apply, wants: Wants | None = None) -> Follower:
    """Keep a projection current as entries are committed (and catch up on what it missed).

    `wants` says which entries `apply` acts on; the others are skipped without a write.
    """
    follower = Follower(ledger, name, apply, wants)
    ledger.on_append(follower)
    return follower


async def rebuild(ledger: Ledger, name: str, apply: Apply, *tables: type) -> int:
    """Forget the projection and replay the whole log into it."""
    for table in tables:
        await table.delete(force=True)
    await ProjectionCursor.delete().where(ProjectionCursor.name == name)
    return await catch_up(ledger, name, apply)
