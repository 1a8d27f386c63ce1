"""Projections: tables derived from the ledger, kept current by listeners and rebuildable from the log.

A projection applies each committed batch straight from memory when it has seen every entry
before it; otherwise (its first batch, another worker's entries, an earlier failure) it catches
up from the stored cursor. In the fast path its cursor moves by compare-and-set in the same
transaction as its writes (one transaction for all the projections a batch concerns), so a
worker whose view is stale applies nothing and reads the log instead; catching up moves it the
same way, page by page, so several workers and servers never apply an entry twice. Batches holding none of
the kinds a projection wants are not written at all: its stored cursor may lag behind, and
catching up replays those entries as no-ops. The lag is bounded (`MAX_LAG`): a cursor that far
behind moves with the next batch though it applies nothing, so a restart after a day of notes
reads a page of the log per projection, not the day.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable

from backend.database import derived_transaction
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.tables import ProjectionCursor

log = logging.getLogger("casetrail.ledger")
Apply = Callable[[Entry], Awaitable[None]]
ApplyMany = Callable[[list[Entry]], Awaitable[None]]
Wants = Callable[[Entry], bool]

# Entries a stored cursor may lag behind what its projection has seen: one page of `Ledger.since`.
MAX_LAG = 1000

_MOVE = (
    "UPDATE projection_cursor SET log_index = {} WHERE name = {} AND log_index = {} "
    "RETURNING log_index"
)


async def _stored_cursor(name: str) -> int:
    # Another worker may create the row at the same moment: whoever is second inserts nothing.
    await ProjectionCursor.raw(
        "INSERT INTO projection_cursor (name, log_index) VALUES ({}, -1) "
        "ON CONFLICT (name) DO NOTHING",
        name,
    )
    rows = await ProjectionCursor.raw(
        "SELECT log_index FROM projection_cursor WHERE name = {}", name
    )
    return rows[0]["log_index"]


async def _catch_up(ledger: Ledger, name: str, apply: Apply) -> tuple[int, int]:
    """Apply what the stored cursor has not covered; (entries applied, cursor now).

    Each page is applied in the transaction that moves the cursor from where this worker read it
    (compare-and-set, the row locked until commit): when another worker or server catches up the
    same projection at the same time, one of them applies the page and the other, finding the
    cursor moved, reads it again and goes on from there. No entry is applied twice.
    """
    cursor = await _stored_cursor(name)
    applied = 0
    while batch := await ledger.since(cursor):
        last = batch[-1].log_index
        async with derived_transaction(ledger.engine):
            moved = bool(await ProjectionCursor.raw(_MOVE, last, name, cursor))
            if moved:
                for entry in batch:
                    await apply(entry)
        if moved:
            cursor = last
            applied += len(batch)
        else:
            cursor = await _stored_cursor(name)
    return applied, cursor


async def catch_up(ledger: Ledger, name: str, apply: Apply) -> int:
    """Apply every entry the projection `name` has not seen yet; returns how many."""
    return (await _catch_up(ledger, name, apply))[0]


class Follower:
    """What this process knows of one projection's progress (see the module docstring)."""

    def __init__(
        self,
        ledger: Ledger,
        name: str,
        apply: Apply,
        wants: Wants | None,
        apply_many: ApplyMany | None = None,
    ) -> None:
        self.ledger = ledger
        self.name = name
        self.apply = apply
        self.wants = wants
        self.apply_many = apply_many
        self.seen: int | None = None  # every entry up to here is applied or not wanted
        self.stored: int | None = None  # the stored cursor, as this process last read or set it

    def in_step(self, first: int) -> bool:
        """Whether the batch starting at `first` follows straight on what this projection saw."""
        return self.seen is not None and self.stored is not None and first == self.seen + 1

    def wanted(self, entries: list[Entry]) -> list[Entry]:
        return entries if self.wants is None else [e for e in entries if self.wants(e)]

    def moves_with(self, entries: list[Entry]) -> list[Entry] | None:
        """What of this batch to apply as the cursor moves; None: leave the cursor (see MAX_LAG)."""
        wanted = self.wanted(entries)
        assert self.stored is not None  # in step
        return wanted if wanted or entries[-1].log_index - self.stored >= MAX_LAG else None

    async def catch_up(self) -> int:
        self.seen = None  # should catching up fail, the next batch tries again
        applied, self.stored = await _catch_up(self.ledger, self.name, self.apply)
        self.seen = self.stored
        return applied

    async def apply_in_transaction(self, entries: list[Entry], last: int) -> bool:
        """Move the cursor to `last` and apply `entries`; False if someone else moved it."""
        if not await ProjectionCursor.raw(_MOVE, last, self.name, self.stored):
            return False
        if not entries:
            return True
        if self.apply_many is not None:
            await self.apply_many(entries)
            return True
        for entry in entries:
            await self.apply(entry)
        return True


class Followers:
    """The one ledger listener for all its projections: one transaction per batch for them all."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.members: list[Follower] = []

    async def __call__(self, entries: list[Entry]) -> None:
        first, last = entries[0].log_index, entries[-1].log_index
        behind = [f for f in self.members if not f.in_step(first)]
        moving = [
            (f, w)
            for f in self.members
            if f not in behind and (w := f.moves_with(entries)) is not None
        ]
        rolled_back: list[Follower] = []
        if moving:
            try:
                async with derived_transaction(self.ledger.engine):
                    for follower, wanted in moving:
                        if not await follower.apply_in_transaction(wanted, last):
                            behind.append(follower)  # its view is stale: read the log
            except Exception:
                log.exception("projections failed to apply a batch")
                rolled_back = [f for f, _ in moving if f not in behind]
        for follower in self.members:
            if follower in rolled_back:
                follower.seen = None  # it catches up from its cursor with the next batch
            elif follower not in behind:
                if any(follower is f for f, _ in moving):
                    follower.stored = last
                follower.seen = last
        for follower in behind:
            try:
                await follower.catch_up()
            except Exception:
                log.exception("projection %s failed to catch up", follower.name)


_FOLLOWERS: weakref.WeakKeyDictionary[Ledger, Followers] = weakref.WeakKeyDictionary()


def follow(
    ledger: Ledger,
    name: str,
    apply: Apply,
    wants: Wants | None = None,
    apply_many: ApplyMany | None = None,
) -> Follower:
    """Keep a projection current as entries are committed (and catch up on what it missed).

    `wants` says which entries `apply` acts on; the others are skipped without a write.
    `apply_many`, when given, applies a committed batch at once (to the same effect as `apply`
    on each entry in order): a statement per batch instead of one per entry.
    """
    followers = _FOLLOWERS.get(ledger)
    if followers is None:
        followers = _FOLLOWERS[ledger] = Followers(ledger)
        ledger.on_append(followers)
    follower = Follower(ledger, name, apply, wants, apply_many)
    followers.members.append(follower)
    return follower


async def rebuild(ledger: Ledger, name: str, apply: Apply, *tables: type) -> int:
    """Forget the projection and replay the whole log into it."""
    for table in tables:
        await table.delete(force=True)
    await ProjectionCursor.delete().where(ProjectionCursor.name == name)
    return await catch_up(ledger, name, apply)
