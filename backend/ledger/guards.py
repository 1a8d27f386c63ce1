"""Database triggers that make tables append-only, and their start-up check.

The triggers themselves are each engine's (backend/ledger/sqlite_writer.py, postgres_writer.py);
this module says which tables carry them and refuses to start when one is missing or altered.
"""

from __future__ import annotations

import re

from piccolo.engine.base import Engine

from backend.errors import IntegrityFailure
from backend.ledger.writer import writer_class

# The keys an SQLite INSERT OR REPLACE could clash on, per append-only table (see no_replace_ddl).
ENTRY_KEYS = (("log_index",), ("hash",), ("client_id",), ("case_id", "seq"))
CHECKPOINT_KEYS = (("tree_size",),)
COSIGNATURE_KEYS = (("tree_size", "witness"),)
WITNESSED_KEYS = (("origin", "tree_size"),)
TILE_KEYS = (("tile_level", "tile_index"),)
UNIQUE_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ledger_entry": ENTRY_KEYS,
    "ledger_checkpoint": CHECKPOINT_KEYS,
    "ledger_cosignature": COSIGNATURE_KEYS,
    "witnessed_checkpoint": WITNESSED_KEYS,
    "ledger_tile": TILE_KEYS,
}


def append_only_ddl(
    engine: Engine, table: str, unique_keys: tuple[tuple[str, ...], ...] = ()
) -> list[str]:
    """DDL that rejects UPDATE, DELETE (and TRUNCATE, REPLACE) on `table`."""
    return writer_class(engine).append_only_ddl(table, unique_keys)


def expected_triggers(engine: Engine, table: str) -> dict[str, str]:
    """Trigger name -> the definition it must have, as the database reports it back.

    A guard that only exists proves nothing: `WHEN 0` on SQLite or a no-op function on
    PostgreSQL keeps the name and the enabled flag while letting every change through.
    """
    return writer_class(engine).expected_triggers(table, UNIQUE_KEYS.get(table, ()))


def _normalised(sql: str) -> str:
    return " ".join(sql.split())


async def install_append_only(
    engine: Engine, table: str, unique_keys: tuple[tuple[str, ...], ...] = ()
) -> None:
    for statement in append_only_ddl(engine, table, unique_keys):
        await engine.run_ddl(statement)


async def _found_triggers(engine: Engine, table: str) -> dict[str, str]:
    """Trigger name -> its definition as stored, for the enabled triggers on `table`."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise IntegrityFailure(f"not a table name: {table!r}", code="guard_missing")
    found = await writer_class(engine).found_triggers(engine, table)
    return {name: _normalised(sql) for name, sql in found.items()}


async def check_append_only(engine: Engine, tables: list[str]) -> None:
    """Refuse to run if any append-only trigger is missing, disabled or not what it must be."""
    for table in tables:
        expected = expected_triggers(engine, table)
        found = await _found_triggers(engine, table)
        missing = sorted(set(expected) - set(found))
        if missing:
            raise IntegrityFailure(
                f"append-only guard missing on {table}: {', '.join(missing)}",
                code="guard_missing",
            )
        altered = sorted(n for n, sql in expected.items() if found[n] != _normalised(sql))
        if altered:
            raise IntegrityFailure(
                f"append-only guard altered on {table}: {', '.join(altered)} "
                "does not match its expected definition",
                code="guard_altered",
            )
