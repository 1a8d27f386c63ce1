"""Database triggers that make tables append-only on SQLite and PostgreSQL, and their start-up check."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.database import is_postgres
from backend.errors import IntegrityFailure

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION casetrail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'casetrail: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$
"""


def append_only_ddl(
    engine: Engine, table: str, unique_keys: tuple[tuple[str, ...], ...] = ()
) -> list[str]:
    """DDL that rejects UPDATE, DELETE (and TRUNCATE, REPLACE) on `table`."""
    if is_postgres(engine):
        return [
            PG_FUNCTION,
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION casetrail_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION casetrail_append_only()",
            # ENABLE ALWAYS: session_replication_role=replica would otherwise skip them.
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_change",
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate",
        ]
    raise_ = f"SELECT RAISE(ABORT, 'casetrail: {table} is append-only')"
    ddl = [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN {raise_}; END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN {raise_}; END",
    ]
    if unique_keys:
        ddl.append(no_replace_ddl(table, unique_keys))
    return ddl


def no_replace_ddl(table: str, unique_keys: tuple[tuple[str, ...], ...]) -> str:
    """SQLite: INSERT OR REPLACE deletes the clashing row first; refuse the insert itself so the
    hole stays closed even on a connection that forgot recursive_triggers. The rowid `id` is a
    key too: a replace naming an existing id would otherwise swap that entry out."""
    keys = (("id",), *unique_keys)
    clash = " OR ".join("(" + " AND ".join(f"{c} = NEW.{c}" for c in key) + ")" for key in keys)
    return (
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
        f"BEGIN SELECT RAISE(ABORT, 'casetrail: {table} is append-only'); END"
    )


def expected_triggers(engine: Engine, table: str) -> set[str]:
    if is_postgres(engine):
        return {f"{table}_no_change", f"{table}_no_truncate"}
    return {f"{table}_no_update", f"{table}_no_delete"}


async def install_append_only(
    engine: Engine, table: str, unique_keys: tuple[tuple[str, ...], ...] = ()
) -> None:
    for statement in append_only_ddl(engine, table, unique_keys):
        await engine.run_ddl(statement)


async def check_append_only(engine: Engine, tables: list[str]) -> None:
    """Refuse to run if any append-only trigger is missing or disabled."""
    for table in tables:
        if is_postgres(engine):
            rows = await engine.run_ddl(
                "SELECT tgname, tgenabled::text AS tgenabled FROM pg_trigger "
                f"WHERE tgrelid = '{table}'::regclass AND NOT tgisinternal"
            )
            present = {r["tgname"] for r in rows if r["tgenabled"] == "A"}
        else:
            rows = await engine.run_ddl(
                f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"
            )
            present = {r["name"] for r in rows}
        missing = expected_triggers(engine, table) - present
        if missing:
            raise IntegrityFailure(
                f"append-only guard missing on {table}: {', '.join(sorted(missing))}",
                code="guard_missing",
            )
