"""Database triggers that make tables append-only on SQLite and PostgreSQL, and their start-up check."""

from __future__ import annotations

import re

from piccolo.engine.base import Engine

from backend.database import is_postgres
from backend.errors import IntegrityFailure

PG_FUNCTION_BODY = """
BEGIN
  RAISE EXCEPTION 'casetrail: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END """
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION casetrail_append_only() RETURNS trigger LANGUAGE plpgsql AS $${PG_FUNCTION_BODY}$$
"""
# The keys an SQLite INSERT OR REPLACE could clash on, per append-only table (see no_replace_ddl).
ENTRY_KEYS = (("log_index",), ("hash",), ("client_id",), ("case_id", "seq"))
CHECKPOINT_KEYS = (("tree_size",),)
COSIGNATURE_KEYS = (("tree_size", "witness"),)
WITNESSED_KEYS = (("origin", "tree_size"),)
UNIQUE_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ledger_entry": ENTRY_KEYS,
    "ledger_checkpoint": CHECKPOINT_KEYS,
    "ledger_cosignature": COSIGNATURE_KEYS,
    "witnessed_checkpoint": WITNESSED_KEYS,
}


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


def expected_triggers(engine: Engine, table: str) -> dict[str, str]:
    """Trigger name -> the definition it must have, as the database reports it back.

    A guard that only exists proves nothing: `WHEN 0` on SQLite or a no-op function on
    PostgreSQL keeps the name and the enabled flag while letting every change through.
    """
    if is_postgres(engine):
        return {
            f"{table}_no_change": f"CREATE TRIGGER {table}_no_change BEFORE DELETE OR UPDATE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION casetrail_append_only()",
            f"{table}_no_truncate": f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION casetrail_append_only()",
        }
    statements = append_only_ddl(engine, table)
    if table in UNIQUE_KEYS:
        statements.append(no_replace_ddl(table, UNIQUE_KEYS[table]))
    return {statement.split()[2]: statement for statement in statements}


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
    if not is_postgres(engine):
        rows = await engine.run_ddl(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"
        )
        return {r["name"]: _normalised(r["sql"] or "") for r in rows}
    rows = await engine.run_ddl(
        "SELECT t.tgname, t.tgenabled::text AS enabled, pg_get_triggerdef(t.oid) AS definition, "
        "p.prosrc, l.lanname FROM pg_trigger AS t JOIN pg_proc AS p ON p.oid = t.tgfoid "
        "JOIN pg_language AS l ON l.oid = p.prolang "
        f"WHERE t.tgrelid = '{table}'::regclass AND NOT t.tgisinternal"
    )
    found = {}
    for r in rows:
        # ENABLE ALWAYS ('A'): 'O' would be skipped under session_replication_role = replica.
        if r["enabled"] != "A":
            continue
        # The function is what refuses; a no-op body under the expected name is no guard.
        if r["lanname"] != "plpgsql" or r["prosrc"].strip() != PG_FUNCTION_BODY.strip():
            found[r["tgname"]] = "function casetrail_append_only() was replaced"
            continue
        # pg_get_triggerdef always names the table with its schema.
        found[r["tgname"]] = _normalised(re.sub(r" ON \S+\.", " ON ", r["definition"], count=1))
    return found


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
