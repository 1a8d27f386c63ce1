"""The ledger's writer runs each write transaction whole on a thread of its own.

Run from the server's event loop, each statement of a batch waited for a turn of a loop busy with
requests. These stories hold the writer to what the appender relies on instead: a transaction runs
off the loop's thread, sees its own writes, commits whole or not at all, and on SQLite never waits
for anything but its database.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from backend.ledger.ledger import Ledger
from backend.ledger.writer import Writer
from tests.engines import ENGINE

DIGEST = "INSERT INTO ledger_entry_digest (digest, log_index, case_id, kind) VALUES (?, ?, ?, ?)"
COUNT = "SELECT COUNT(*) AS n FROM ledger_entry_digest WHERE case_id = ?"


async def stored(ledger: Ledger, case_id: str) -> int:
    async def count(tx: Writer) -> int:
        return (await tx.fetch(COUNT, case_id))[0]["n"]

    return await ledger.log.writer.run(count)


async def test_a_transaction_runs_off_the_event_loop_and_sees_its_own_writes(ledger):
    seen: dict[str, object] = {}

    async def work(tx: Writer) -> None:
        seen["thread"] = threading.current_thread().name
        await tx.execute(DIGEST, "d1", 1, "case-own-writes", "note")
        seen["inside"] = (await tx.fetch(COUNT, "case-own-writes"))[0]["n"]

    await ledger.log.writer.run(work)
    assert seen["thread"] != threading.current_thread().name
    assert seen["thread"].startswith("casetrail-ledger-writer")  # type: ignore[union-attr]
    assert seen["inside"] == 1
    assert await stored(ledger, "case-own-writes") == 1


async def test_a_transaction_that_fails_leaves_nothing_and_the_next_one_commits(ledger):
    async def failing(tx: Writer) -> None:
        await tx.execute(DIGEST, "d1", 1, "case-half", "note")
        raise ValueError("refused halfway")

    with pytest.raises(ValueError, match="refused halfway"):
        await ledger.log.writer.run(failing)
    assert await stored(ledger, "case-half") == 0

    async def whole(tx: Writer) -> None:
        await tx.execute(DIGEST, "d2", 2, "case-half", "note")

    await ledger.log.writer.run(whole)
    assert await stored(ledger, "case-half") == 1


async def test_many_rows_come_back_the_same_packed_or_not(ledger):
    async def work(tx: Writer) -> tuple[list[dict], list[dict]]:
        await tx.executemany(DIGEST, [(f"d{i}", i, "case-many", "note") for i in range(300)])
        sql = "SELECT digest, log_index, kind FROM ledger_entry_digest WHERE case_id = ?"
        plain = await tx.fetch(sql + " ORDER BY log_index", "case-many")
        packed = await tx.fetch_many(sql, ("digest", "log_index", "kind"), "case-many")
        return plain, packed

    plain, packed = await ledger.log.writer.run(work)
    assert len(plain) == 300
    assert sorted(packed, key=lambda r: r["log_index"]) == plain


@pytest.mark.skipif(ENGINE != "sqlite", reason="only SQLite's transactions run without a loop")
async def test_a_sqlite_transaction_that_waits_for_anything_else_is_refused_and_rolled_back(
    ledger,
):
    async def wandering(tx: Writer) -> None:
        await tx.execute(DIGEST, "d1", 1, "case-wander", "note")
        await asyncio.sleep(0)  # e.g. a query through another connection

    with pytest.raises(RuntimeError, match="waited for something besides its database"):
        await ledger.log.writer.run(wandering)
    assert await stored(ledger, "case-wander") == 0
