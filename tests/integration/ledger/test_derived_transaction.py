"""Projection rows are committed without waiting for the disk; everything else still waits for it."""

from __future__ import annotations

from backend.database import derived_transaction, is_postgres
from backend.ledger.tables import ProjectionCursor


async def durability(engine) -> str:
    """What the current transaction's commit waits for: "full"/"on", or "normal"/"off"."""
    if is_postgres(engine):
        rows = await ProjectionCursor.raw("SHOW synchronous_commit")
        return rows[0]["synchronous_commit"]
    rows = await ProjectionCursor.raw("PRAGMA synchronous")
    return {2: "full", 1: "normal"}[rows[0]["synchronous"]]


async def test_only_derived_rows_skip_the_flush_and_the_setting_does_not_leak(engine):
    async with engine.transaction():
        before = await durability(engine)
    async with derived_transaction(engine):
        derived = await durability(engine)
    for _ in range(3):  # the connection the derived transaction used goes back to the pool
        async with engine.transaction():
            assert await durability(engine) == before
    assert before in {"full", "on"}
    assert derived in {"normal", "off"}


async def test_a_failed_derived_transaction_writes_nothing(engine):
    await ProjectionCursor.insert(ProjectionCursor(name="probe", log_index=-1))
    try:
        async with derived_transaction(engine):
            await ProjectionCursor.raw(
                "UPDATE projection_cursor SET log_index = 5 WHERE name = {}", "probe"
            )
            raise RuntimeError("a projection failed half-way")
    except RuntimeError:
        pass
    rows = await ProjectionCursor.raw(
        "SELECT log_index FROM projection_cursor WHERE name = {}", "probe"
    )
    assert rows[0]["log_index"] == -1
