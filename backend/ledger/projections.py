"""Projections: tables derived from the ledger, kept current by listeners and rebuildable from the log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.tables import ProjectionCursor

Apply = Callable[[Entry], Awaitable[None]]


async def catch_up(ledger: Ledger, name: str, apply: Apply) -> int:
    """Apply every entry the projection `name` has not seen yet; returns how many."""
    row = await ProjectionCursor.select().where(ProjectionCursor.name == name).first()
    if row is None:
        await ProjectionCursor.insert(ProjectionCursor(name=name, log_index=-1))
        cursor = -1
    else:
        cursor = row["log_index"]
    applied = 0
    while batch := await ledger.since(cursor):
        for entry in batch:
            await apply(entry)
        cursor = batch[-1].log_index
        applied += len(batch)
        await ProjectionCursor.update({ProjectionCursor.log_index: cursor}).where(
            ProjectionCursor.name == name
        )
    return applied


def follow(ledger: Ledger, name: str, apply: Apply) -> None:
    """Keep a projection current as entries are committed (and catch up on what it missed)."""

    async def on_batch(entries: list[Entry]) -> None:
        await catch_up(ledger, name, apply)

    ledger.on_append(on_batch)


async def rebuild(ledger: Ledger, name: str, apply: Apply, *tables: type) -> int:
    """Forget the projection and replay the whole log into it."""
    for table in tables:
        await table.delete(force=True)
    await ProjectionCursor.delete().where(ProjectionCursor.name == name)
    return await catch_up(ledger, name, apply)
