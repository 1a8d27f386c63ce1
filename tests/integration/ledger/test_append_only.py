"""The database itself refuses to change or remove timeline entries and checkpoints."""

from __future__ import annotations

import pytest

from backend.errors import IntegrityFailure
from backend.ledger.guards import check_append_only
from backend.ledger.tables import LedgerEntry
from backend.migrations import append_only_tables
from tests.engines import ENGINE
from tests.integration.ledger.drafts import note


async def test_direct_sql_update_of_an_entry_fails_at_the_database(ledger, engine):
    entry = await ledger.append(note("case-1"))
    with pytest.raises(Exception, match="append-only"):
        await engine.run_ddl(f"UPDATE ledger_entry SET kind = 'x' WHERE hash = '{entry.hash}'")
    assert (await ledger.get(entry.hash)).kind == "note"


async def test_direct_sql_delete_of_an_entry_fails_at_the_database(ledger, engine):
    entry = await ledger.append(note("case-1"))
    with pytest.raises(Exception, match="append-only"):
        await engine.run_ddl(f"DELETE FROM ledger_entry WHERE hash = '{entry.hash}'")
    assert await ledger.get(entry.hash)


async def test_checkpoints_cannot_be_updated_or_deleted(ledger, engine):
    await ledger.append(note("case-1"))
    await ledger.checkpoint()
    for sql in ("UPDATE ledger_checkpoint SET root = 'x'", "DELETE FROM ledger_checkpoint"):
        with pytest.raises(Exception, match="append-only"):
            await engine.run_ddl(sql)
    assert len(await ledger.checkpoints()) == 1


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite REPLACE conflict resolution")
async def test_insert_or_replace_cannot_overwrite_an_entry_on_sqlite(ledger, engine):
    entry = await ledger.append(note("case-1"))
    with pytest.raises(Exception, match="append-only"):
        await engine.run_ddl(
            "INSERT OR REPLACE INTO ledger_entry (log_index, case_id, seq, hash, prev_hash, kind, "
            f"client_id, received_at, body) SELECT log_index, case_id, seq, hash, prev_hash, 'forged', "
            f"client_id, received_at, body FROM ledger_entry WHERE hash = '{entry.hash}'"
        )
    assert (await ledger.get(entry.hash)).kind == "note"


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite REPLACE conflict resolution")
async def test_insert_or_replace_naming_an_existing_row_id_cannot_swap_an_entry_out(ledger, engine):
    first = await ledger.append(note("case-1"))
    await ledger.append(note("case-1"))
    [row] = await LedgerEntry.raw("SELECT id FROM ledger_entry WHERE hash = {}", first.hash)
    with pytest.raises(Exception, match="append-only"):
        await engine.run_ddl(
            "INSERT OR REPLACE INTO ledger_entry (id, log_index, case_id, seq, hash, client_id, "
            f"received_at, body) VALUES ({row['id']}, 9999, 'zz', 0, 'ab', 'new', "
            "'2020-01-01', '{}')"
        )
    assert (await ledger.get(first.hash)).kind == "note"
    assert await LedgerEntry.count() == 2


@pytest.mark.skipif(ENGINE != "postgres", reason="PostgreSQL statement-level and replica holes")
async def test_truncate_and_replica_mode_cannot_bypass_the_guard_on_postgres(ledger, engine):
    entry = await ledger.append(note("case-1"))
    with pytest.raises(Exception, match="append-only"):
        await engine.run_ddl("TRUNCATE ledger_entry")
    with pytest.raises(Exception, match="append-only"):
        async with engine.transaction():
            await engine.run_ddl("SET LOCAL session_replication_role = replica")
            await engine.run_ddl(f"DELETE FROM ledger_entry WHERE hash = '{entry.hash}'")
    assert await LedgerEntry.count() == 1


async def test_start_up_refuses_a_database_whose_guard_was_dropped(engine):
    await check_append_only(engine, append_only_tables())
    trigger = "ledger_entry_no_change" if ENGINE == "postgres" else "ledger_entry_no_delete"
    on = " ON ledger_entry" if ENGINE == "postgres" else ""
    await engine.run_ddl(f"DROP TRIGGER {trigger}{on}")
    with pytest.raises(IntegrityFailure, match="guard missing"):
        await check_append_only(engine, append_only_tables())


@pytest.mark.skipif(ENGINE != "postgres", reason="PostgreSQL roles")
async def test_an_app_role_with_insert_and_select_only_cannot_change_entries(ledger, engine):
    import uuid

    import asyncpg

    entry = await ledger.append(note("case-1"))
    role = f"ct_app_{uuid.uuid4().hex[:8]}"
    await engine.run_ddl(f"CREATE ROLE {role} LOGIN")
    try:
        await engine.run_ddl(f"GRANT SELECT, INSERT ON ledger_entry, ledger_checkpoint TO {role}")
        dsn = engine.config["dsn"]
        conn = await asyncpg.connect(dsn, user=role)
        try:
            assert await conn.fetchval("SELECT count(*) FROM ledger_entry") == 1
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ALL")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f"DELETE FROM ledger_entry WHERE hash = '{entry.hash}'")
        finally:
            await conn.close()
    finally:
        await engine.run_ddl(f"REVOKE ALL ON ledger_entry, ledger_checkpoint FROM {role}")
        await engine.run_ddl(f"DROP ROLE {role}")


async def _rewrite_guard_to_let_everything_through(engine) -> None:
    """What an insider with DDL rights does: keep every guard's name, defuse what it does."""
    if ENGINE == "postgres":
        await engine.run_ddl(
            "CREATE OR REPLACE FUNCTION casetrail_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$"
        )
    else:
        await engine.run_ddl("DROP TRIGGER ledger_entry_no_delete")
        await engine.run_ddl(
            "CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry WHEN 0 "
            "BEGIN SELECT RAISE(ABORT, 'casetrail: ledger_entry is append-only'); END"
        )


async def test_start_up_refuses_a_guard_kept_by_name_but_made_harmless(ledger, engine, settings):
    from backend.runtime import open_runtime

    entry = await ledger.append(note("case-1"))
    await _rewrite_guard_to_let_everything_through(engine)
    with pytest.raises(IntegrityFailure, match="guard altered") as refused:
        await check_append_only(engine, append_only_tables())
    assert refused.value.code == "guard_altered"
    with pytest.raises(IntegrityFailure, match="guard altered"):
        async with open_runtime(settings):
            pass
    # The harmless guard really would have let the entry go; the check is what stops it.
    await engine.run_ddl(f"DELETE FROM ledger_entry WHERE hash = '{entry.hash}'")


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite REPLACE guard")
async def test_start_up_refuses_a_database_whose_replace_guard_was_dropped(engine):
    await engine.run_ddl("DROP TRIGGER ledger_entry_no_replace")
    with pytest.raises(
        IntegrityFailure, match="guard missing on ledger_entry: ledger_entry_no_replace"
    ):
        await check_append_only(engine, append_only_tables())


@pytest.mark.skipif(ENGINE != "postgres", reason="PostgreSQL trigger enable modes")
async def test_start_up_refuses_a_guard_that_replica_sessions_would_skip(engine):
    await engine.run_ddl("ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_no_change")
    with pytest.raises(IntegrityFailure, match="guard missing"):
        await check_append_only(engine, append_only_tables())
