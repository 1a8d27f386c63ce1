"""Applies each domain's schema steps once, in order, to a given engine.

Piccolo's own migration runner finds its engine through a global PICCOLO_CONF; CaseTrail
passes the engine explicitly so the CLI, the app and every test can target any database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from piccolo.columns import Timestamptz, Varchar
from piccolo.engine.base import Engine
from piccolo.table import Table

from backend.database import is_postgres, lock_key
from backend.domains import DOMAINS
from backend.jobs import JobRun, create_job_tables
from backend.throttle import ThrottleHit, create_throttle_tables

Step = tuple[str, Callable[[Engine], Awaitable[None]]]


class SchemaMigration(Table, tablename="schema_migration"):
    """Which schema steps have been applied to this database."""

    name = Varchar(length=200, unique=True)
    applied_at = Timestamptz()


async def add_column(engine: Engine, table: str, column: str, sql_type: str) -> None:
    """Add a column unless the table was created with it (new databases get current tables)."""
    if engine.engine_type == "postgres":
        await engine.run_ddl(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {sql_type}")
        return
    existing = {row["name"] for row in await engine.run_ddl(f"PRAGMA table_info({table})")}
    if column not in existing:
        await engine.run_ddl(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")


def all_steps() -> list[Step]:
    steps: list[Step] = [
        ("jobs.0001_job_run", create_job_tables),
        ("throttle.0001_hits", create_throttle_tables),
    ]
    for domain in DOMAINS:  # a domain's tables come before those of the domains using it
        module = domain.module("migrations")
        if module is not None:
            steps.extend(module.MIGRATIONS)
    return steps


def all_tables() -> list[type[Table]]:
    """Every Piccolo table of every domain (imported so they can be bound to an engine)."""
    tables: list[type[Table]] = [SchemaMigration, JobRun, ThrottleHit]
    for domain in DOMAINS:
        module = domain.module("tables")
        if module is None:
            continue
        tables.extend(
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Table) and value is not Table
        )
    return tables


def bind(engine: Engine) -> None:
    """Point every table at `engine`."""
    for table in all_tables():
        table._meta.db = engine


async def migrate(engine: Engine) -> list[str]:
    """Apply pending steps; returns the names applied now.

    Several servers (or `serve --workers N`) may start at once after an upgrade: on PostgreSQL
    one migrates while the others wait on an advisory lock, then find nothing left to apply.
    """
    bind(engine)
    if not is_postgres(engine):
        return await _migrate(engine)
    async with engine.pool.acquire() as connection:  # type: ignore[attr-defined]
        await connection.execute("SELECT pg_advisory_lock($1)", lock_key("casetrail-migrate"))
        try:
            return await _migrate(engine)
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", lock_key("casetrail-migrate"))


async def _migrate(engine: Engine) -> list[str]:
    await SchemaMigration.create_table(if_not_exists=True)
    done = {row["name"] for row in await SchemaMigration.select(SchemaMigration.name)}
    applied = []
    for name, step in all_steps():
        if name in done:
            continue
        await step(engine)
        await SchemaMigration.insert(SchemaMigration(name=name, applied_at=datetime.now(UTC)))
        applied.append(name)
    return applied


def append_only_tables() -> list[str]:
    tables: list[str] = []
    for domain in DOMAINS:
        module = domain.module("migrations")
        if module is not None:
            tables.extend(getattr(module, "APPEND_ONLY_TABLES", []))
    return tables
