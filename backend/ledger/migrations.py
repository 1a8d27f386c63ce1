"""Schema steps for the ledger: entry and checkpoint tables with their append-only guards."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.ledger.entry import Entry
from backend.ledger.guards import (
    CHECKPOINT_KEYS,
    COSIGNATURE_KEYS,
    ENTRY_KEYS,
    TILE_KEYS,
    WITNESSED_KEYS,
    install_append_only,
)
from backend.ledger.reads import digest_rows
from backend.ledger.tables import (
    BlobSm3,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerEntryDigest,
    LedgerTile,
    ProjectionCursor,
    WitnessedCheckpoint,
)
from backend.ledger.writer import writer_class

APPEND_ONLY_TABLES = [
    "ledger_entry",
    "ledger_checkpoint",
    "ledger_cosignature",
    "witnessed_checkpoint",
    "ledger_tile",
]


async def create_ledger(engine: Engine) -> None:
    await LedgerEntry.create_table(if_not_exists=True)
    await LedgerCheckpoint.create_table(if_not_exists=True)
    await ProjectionCursor.create_table(if_not_exists=True)
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS ledger_entry_case_seq ON ledger_entry (case_id, seq)"
    )
    await install_append_only(engine, "ledger_entry", ENTRY_KEYS)
    await install_append_only(engine, "ledger_checkpoint", CHECKPOINT_KEYS)


async def replace_guard_covers_rowid(engine: Engine) -> None:
    # The first guard let INSERT OR REPLACE swap a row out by naming its id (SQLite only).
    for table, keys in (("ledger_entry", ENTRY_KEYS), ("ledger_checkpoint", CHECKPOINT_KEYS)):
        for statement in writer_class(engine).replace_guard_repair_ddl(table, keys):
            await engine.run_ddl(statement)


async def witnesses(engine: Engine) -> None:
    # Cosignatures we collect and checkpoints we cosign are evidence too: append-only.
    await LedgerCosignature.create_table(if_not_exists=True)
    await WitnessedCheckpoint.create_table(if_not_exists=True)
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS ledger_cosignature_size_witness "
        "ON ledger_cosignature (tree_size, witness)"
    )
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS witnessed_checkpoint_origin_size "
        "ON witnessed_checkpoint (origin, tree_size)"
    )
    await install_append_only(engine, "ledger_cosignature", COSIGNATURE_KEYS)
    await install_append_only(engine, "witnessed_checkpoint", WITNESSED_KEYS)


async def blob_sm3(engine: Engine) -> None:
    await BlobSm3.create_table(if_not_exists=True)


async def entry_digests(engine: Engine) -> None:
    # The index behind `reads.naming`; the writer fills it from now on, this fills the past.
    await LedgerEntryDigest.create_table(if_not_exists=True)
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS ledger_entry_digest_digest_entry "
        "ON ledger_entry_digest (digest, log_index)"
    )
    after = -1
    while rows := await LedgerEntry.raw(
        "SELECT log_index, hash, client_id, body FROM ledger_entry WHERE log_index > {} "
        "ORDER BY log_index LIMIT 2000",
        after,
    ):
        after = rows[-1]["log_index"]
        found = digest_rows(Entry.from_row(r) for r in rows)
        for start in range(0, len(found), 500):  # within SQLite's limit on bound values
            await LedgerEntryDigest.insert(
                *[
                    LedgerEntryDigest(digest=digest, log_index=index, case_id=case_id, kind=kind)
                    for digest, index, case_id, kind in found[start : start + 500]
                ]
            )


async def tiles(engine: Engine) -> None:
    # The Merkle tree as C2SP tlog-tiles: full tiles only, written with the entries that fill
    # them. A log from before this step is tiled from its entries on the first start.
    await LedgerTile.create_table(if_not_exists=True)
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS ledger_tile_level_index "
        "ON ledger_tile (tile_level, tile_index)"
    )
    await install_append_only(engine, "ledger_tile", TILE_KEYS)


MIGRATIONS = [
    ("ledger.0001_entries_checkpoints", create_ledger),
    ("ledger.0002_replace_guard_covers_rowid", replace_guard_covers_rowid),
    ("ledger.0003_witnesses", witnesses),
    ("ledger.0004_blob_sm3", blob_sm3),
    ("ledger.0005_entry_digests", entry_digests),
    ("ledger.0006_tiles", tiles),
]
