"""Whatever a caller was told is committed, the very next read finds, however busy the server is."""

from __future__ import annotations

import asyncio

from backend.ledger.tables import LedgerEntry
from tests.integration.ledger.drafts import note


async def test_a_committed_entry_is_found_at_once_while_other_reads_are_in_flight(ledger):
    stop = asyncio.Event()

    async def busy_reader() -> None:
        # Other requests reading all the time, as a phone syncing and a supervisor browsing do.
        while not stop.is_set():
            await LedgerEntry.raw("SELECT count(*) AS n FROM ledger_entry")

    readers = [asyncio.ensure_future(busy_reader()) for _ in range(8)]
    try:
        for i in range(40):
            entry = await ledger.append(note(f"case-{i}", "立案"))
            found = await LedgerEntry.raw(
                "SELECT hash FROM ledger_entry WHERE hash = {}", entry.hash
            )
            assert found, f"append {i} was answered but a read right after missed it"
    finally:
        stop.set()
        await asyncio.gather(*readers)
