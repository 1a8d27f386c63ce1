"""Schema steps for the ledger: entry and checkpoint tables with their append-only guards."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.ledger.guards import install_append_only
from backend.ledger.tables import LedgerCheckpoint, LedgerEntry, ProjectionCursor

APPEND_ONLY_TABLES = ["ledger_entry", "ledger_checkpoint"]


async def create_ledger(engine: Engine) -> None:
    await LedgerEntry.create_table(if_not_exists=True)
    await LedgerCheckpoint.create_table(if_not_exists=True)
    await ProjectionCursor.create_table(if_not_exists=True)
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS ledger_entry_case_seq ON ledger_entry (case_id, seq)"
    )
    await install_append_only(
        engine, "ledger_entry", (("log_index",), ("hash",), ("client_id",), ("case_id", "seq"))
    )
    await install_append_only(engine, "ledger_checkpoint", (("tree_size",),))


MIGRATIONS = [("ledger.0001_entries_checkpoints", create_ledger)]
