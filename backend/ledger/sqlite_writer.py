"""The ledger's writer on SQLite: one connection on a thread of its own, one trip per transaction.

A whole write transaction runs on the connection's thread: `run` hands it the coroutine that
chains a batch, whose awaits on this writer call SQLite directly and so never suspend, and the
thread drives it to its end between BEGIN IMMEDIATE and COMMIT. The event loop is needed once,
to take the result. Run from the loop statement by statement, each of a batch's six trips waited
for a turn of a loop busy with the requests the last batch's answers brought back (20-40 ms
each under load), while the loop, with everyone waiting on the commit, sat idle in between.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import dict_factory

from backend.database import SQLITE_PRAGMAS
from backend.ledger.writer import T, Writer


class SQLiteWriter(Writer):
    name = "sqlite"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._thread: ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None

    async def run(self, work: Callable[[Writer], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        if self._thread is None:
            # One thread, so the connection is only ever used from the thread that opened it.
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="casetrail-ledger-writer")
            await loop.run_in_executor(self._thread, self._open)
        return await loop.run_in_executor(self._thread, self._transaction, work)

    def _open(self) -> None:
        self._db = sqlite3.connect(**self.engine.connection_kwargs)
        self._db.row_factory = dict_factory
        for pragma in SQLITE_PRAGMAS:
            self._db.execute(pragma)

    def _transaction(self, work: Callable[[Writer], Awaitable[T]]) -> T:
        """On the connection's thread: `work` inside BEGIN IMMEDIATE ... COMMIT, or rolled back.

        BEGIN IMMEDIATE takes the database's write lock first, so the heads `work` reads are
        still the heads when it commits, across processes too."""
        assert self._db is not None
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = _to_the_end(work(self))
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.rollback()
            raise
        return result

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        assert self._db is not None
        return self._db.execute(sql, args).fetchall()

    async def fetch_many(
        self, sql: str, columns: tuple[str, ...], *args: Any
    ) -> list[dict[str, Any]]:
        # One row, not many: each row is a step of SQLite, and each step lets go of the GIL and
        # takes it back, which waits up to the switch interval while the event loop is busy. A
        # hundred rows cost 20-40 ms of waiting where their reading costs 3.
        (row,) = await self.fetch(
            f"SELECT json_group_array(json_array({', '.join(columns)})) AS packed FROM ({sql})",
            *args,
        )
        return [dict(zip(columns, values, strict=True)) for values in json.loads(row["packed"])]

    async def execute(self, sql: str, *args: Any) -> None:
        assert self._db is not None
        self._db.execute(sql, args)

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        assert self._db is not None
        self._db.executemany(sql, rows)

    async def close(self) -> None:
        if self._thread is not None:
            if self._db is not None:
                await asyncio.get_running_loop().run_in_executor(self._thread, self._db.close)
                self._db = None
            self._thread.shutdown()
            self._thread = None

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


def _to_the_end(coroutine: Awaitable[T]) -> T:
    """Run a coroutine that never suspends to its end, outside any event loop."""
    assert isinstance(coroutine, Coroutine)
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a ledger transaction on SQLite waited for something besides its database")
