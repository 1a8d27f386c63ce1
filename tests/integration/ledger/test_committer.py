"""One committer task writes every batch; each caller waits for its own batch only.

Under steady load the caller that happened to start a commit used to drain the whole queue and was
answered only when nobody else was appending (10–70 s in a mixed soak). These stories hold each
commit at a gate, so what a caller waits for is visible without measuring time.
"""

from __future__ import annotations

import asyncio

from backend.ledger.ledger import Ledger
from backend.ledger.merkle import MerkleTree
from backend.ledger.tables import LedgerEntry
from tests.integration.ledger.drafts import note

BOUND_S = 10  # a story that waits longer than this has hung


class Gate:
    """Holds each ledger write until the story lets one through."""

    def __init__(self, ledger: Ledger) -> None:
        self.passes: asyncio.Queue[None] = asyncio.Queue()
        self.entered = asyncio.Event()
        write = ledger.appender._write

        async def gated(groups):
            self.entered.set()
            await self.passes.get()
            return await write(groups)

        ledger.appender._write = gated  # type: ignore[method-assign]

    async def next_commit_waiting(self) -> None:
        async with asyncio.timeout(BOUND_S):
            await self.entered.wait()
        self.entered.clear()

    def let_one_through(self) -> None:
        self.passes.put_nowait(None)


async def test_a_caller_is_answered_when_its_batch_commits_while_others_keep_appending(ledger):
    gate = Gate(ledger)
    first = asyncio.create_task(ledger.append(note("case-a")))
    await gate.next_commit_waiting()  # the first batch holds only the first note
    later = [asyncio.create_task(ledger.append(note("case-b", f"第{i}条"))) for i in range(5)]
    await asyncio.sleep(0)  # the later appends are queued behind the first batch

    gate.let_one_through()
    async with asyncio.timeout(BOUND_S):
        entry = await first
    assert entry.case_id == "case-a"
    assert not any(task.done() for task in later), "the others wait for their own batch"

    await gate.next_commit_waiting()
    gate.let_one_through()
    async with asyncio.timeout(BOUND_S):
        done = await asyncio.gather(*later)
    assert [e.seq for e in done] == [0, 1, 2, 3, 4]


async def test_a_caller_that_goes_away_does_not_cancel_the_commit(ledger):
    gate = Gate(ledger)
    gone = asyncio.create_task(ledger.append(note("case-a", "断网前提交")))
    await gate.next_commit_waiting()
    gone.cancel()  # the phone's connection dropped mid-request
    gate.let_one_through()

    stays = asyncio.create_task(ledger.append(note("case-a", "重新连上后提交")))
    await gate.next_commit_waiting()
    gate.let_one_through()
    async with asyncio.timeout(BOUND_S):
        entry = await stays
    assert [e.payload["text"] for e in await ledger.timeline("case-a")] == [
        "断网前提交",
        "重新连上后提交",
    ]
    assert entry.seq == 1


async def test_checkpoints_follow_the_log_after_another_process_appends(ledger, engine, settings):
    await ledger.append(note("case-a"))
    await ledger.checkpoint()
    other = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)
    try:
        await other.append(note("agency:x", "casetrail invite 写入的邀请"))  # e.g. the CLI
    finally:
        await other.close()

    # The server keeps appending while checkpoints are asked for.
    appends = [ledger.append(note("case-a", f"第{i}条")) for i in range(40)]
    checkpoints = [ledger.checkpoint() for _ in range(5)]
    await asyncio.gather(*appends, *checkpoints)
    checkpoint = await ledger.checkpoint()

    assert checkpoint.size == 42
    assert checkpoint.root == await root_from_the_database(42)


async def test_a_commit_landing_while_the_tree_catches_up_is_not_a_gap(ledger, monkeypatch):
    await ledger.append(note("case-a"))
    await ledger.checkpoint()
    gate = Gate(ledger)
    landing = asyncio.create_task(ledger.append(note("case-a", "同时提交")))
    await gate.next_commit_waiting()

    read = LedgerEntry.raw

    async def commit_lands_first(sql: str, *args):
        if "MAX(log_index)" in sql:  # the catch-up's size, read before the commit's leaf was added
            gate.let_one_through()
            async with asyncio.timeout(BOUND_S):
                await asyncio.shield(landing)
        return await read(sql, *args)

    monkeypatch.setattr(LedgerEntry, "raw", commit_lands_first)
    checkpoint = await ledger.checkpoint()
    monkeypatch.undo()
    assert checkpoint.size == 2
    assert checkpoint.root == await root_from_the_database(2)


async def root_from_the_database(size: int) -> bytes:
    rows = await LedgerEntry.raw("SELECT hash FROM ledger_entry ORDER BY log_index")
    tree = MerkleTree()
    for row in rows:
        tree.append(bytes.fromhex(row["hash"]))
    assert tree.size == size
    return tree.root(size)
