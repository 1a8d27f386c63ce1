"""The ledger's writer on SQLite: one aiosqlite connection kept open, BEGIN IMMEDIATE per batch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import dict_factory

from backend.database import SQLITE_PRAGMAS
from backend.ledger.writer import Writer


class SQLiteWriter(Writer):
    name = "sqlite"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._db: aiosqlite.Connection | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Writer]:
        # BEGIN IMMEDIATE takes the database's write lock now, so the heads read in this
        # transaction are still the heads when it commits, across processes too.
        if self._db is None:
            self._db = await aiosqlite.connect(**self.engine.connection_kwargs)
            self._db.row_factory = dict_factory  # type: ignore[assignment]
            for pragma in SQLITE_PRAGMAS:
                await self._db.execute(pragma)
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            await self._db.rollback()
            raise
        await self._db.commit()

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        assert self._db is not None
        # One trip to the connection's thread, not three (execute, fetchall, close): under load
        # each trip waits for a turn of the busy event loop, and a batch's commit makes several.
        return await self._db.execute_fetchall(sql, args)  # type: ignore[return-value]

    async def execute(self, sql: str, *args: Any) -> None:
        assert self._db is not None
        await self._db.execute(sql, args)

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        assert self._db is not None
        await self._db.executemany(sql, rows)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @classmethod
    def append_only_ddl(cls, table: str, unique_keys: tuple[tuple[str, ...], ...]) -> list[str]:
        raise_ = f"SELECT RAISE(ABORT, 'casetrail: {table} is append-only')"
        ddl = [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN {raise_}; END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN {raise_}; END",
        ]
        if unique_keys:
            ddl.append(no_replace_ddl(table, unique_keys))
        return ddl

    @classmethod
    def expected_triggers(
        cls, table: str, unique_keys: tuple[tuple[str, ...], ...]
    ) -> dict[str, str]:
        return {s.split()[2]: s for s in cls.append_only_ddl(table, unique_keys)}

    @classmethod
    async def found_triggers(cls, engine: Engine, table: str) -> dict[str, str]:
        rows = await engine.run_ddl(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"
        )
        return {r["name"]: r["sql"] or "" for r in rows}

    @classmethod
    def replace_guard_repair_ddl(
        cls, table: str, unique_keys: tuple[tuple[str, ...], ...]
    ) -> list[str]:
        # The first guard let INSERT OR REPLACE swap a row out by naming its id.
        return [f"DROP TRIGGER IF EXISTS {table}_no_replace", no_replace_ddl(table, unique_keys)]


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
