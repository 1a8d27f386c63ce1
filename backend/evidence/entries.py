"""The evidence domain's reads of ledger entries."""

from __future__ import annotations

from backend.ledger.entry import Entry
from backend.ledger.tables import LedgerEntry


async def entry_by_client_id(client_id: str) -> Entry | None:
    rows = await LedgerEntry.raw(
        "SELECT log_index, hash, client_id, body FROM ledger_entry WHERE client_id = {}", client_id
    )
    return Entry.from_row(rows[0]) if rows else None
