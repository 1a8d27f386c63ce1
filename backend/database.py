"""The database engines CaseTrail runs on, and the per-connection settings the ledger relies on."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

# Piccolo's SQLite engine opens a connection per query or transaction and sets only
# foreign_keys. Without recursive_triggers, INSERT OR REPLACE deletes rows without firing
# DELETE triggers; without synchronous=FULL, a power cut can lose acknowledged evidence.
SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys = 1",
    "PRAGMA recursive_triggers = ON",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 30000",
)


class LedgerSQLiteEngine(SQLiteEngine):
    """SQLite engine whose every connection carries the ledger's safety pragmas.

    Queries outside a transaction share one long-lived connection: opening a connection (and its
    thread) per query, as Piccolo does, costs more than most queries. Each transaction has a
    connection of its own, taken from those earlier transactions left idle (opening one costs
    several milliseconds, more than a small transaction).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shared: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()
        # Idle connections by durability: synchronous=FULL ones, and NORMAL ones for derived rows.
        self._idle: dict[bool, list[aiosqlite.Connection]] = {True: [], False: []}

    async def _connect(self, durable: bool = True) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = dict_factory  # type: ignore[assignment]
        for pragma in SQLITE_PRAGMAS:
            await connection.execute(pragma)
        if not durable:
            await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def get_connection(self) -> aiosqlite.Connection:
        return await self._connect()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        async with self._opening:
            if self._shared is None:
                self._shared = await self._connect()
        # isolation_level=None: each statement on the shared connection commits by itself. The
        # statement runs to its end in one hop to the connection's thread: a cursor left open
        # across an await would let the next caller's statement join its read transaction and
        # miss what other connections committed since (a case just opened read as "no such case").
        return await self._shared.execute_fetchall(query, args or [])

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # Piccolo sends PRAGMA foreign_keys before every query in a transaction, a round trip to
        # the connection's thread each time; ours set it once, when opened. One trip per query,
        # not three (execute, fetchall, close): each waits for a turn of a busy event loop.
        return await connection.execute_fetchall(query, args or [])

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
        durable: bool = True,
    ) -> SQLiteTransaction:
        return _ReusingTransaction(self, transaction_type, allow_nested, durable)

    async def _take_idle(self, durable: bool) -> aiosqlite.Connection:
        idle = self._idle[durable]
        return idle.pop() if idle else await self._connect(durable)

    async def _put_idle(self, connection: aiosqlite.Connection, durable: bool) -> None:
        idle = self._idle[durable]
        if connection.in_transaction or len(idle) >= _MAX_IDLE:
            await connection.close()
        else:
            idle.append(connection)

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()
            self._shared = None
        for idle in self._idle.values():
            while idle:
                await idle.pop().close()


_MAX_IDLE = 4


class _ReusingTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction, on a connection that goes back to the engine afterwards."""

    engine: LedgerSQLiteEngine

    def __init__(self, engine: LedgerSQLiteEngine, transaction_type: TransactionType,
                 allow_nested: bool, durable: bool) -> None:  # fmt: skip
        super().__init__(engine, transaction_type, allow_nested)
        self.durable = durable

    async def get_connection(self) -> aiosqlite.Connection:
        return await self.engine._take_idle(self.durable)

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            await self.connection.close()
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
        await self.engine._put_idle(self.connection, self.durable)
        return exception is None


@asynccontextmanager
async def derived_transaction(engine: Engine) -> AsyncIterator[None]:
    """A transaction for rows derived from the ledger, committed without waiting for the disk.

    A power cut may lose its last commits, never part of one: what a projection writes here
    moves its cursor in the same transaction, so after a restart it replays what was lost. The
    ledger's own commits stay synchronous; this spares each batch a second flush.
    """
    # Never inside another transaction: the relaxed commit would be that transaction's.
    if isinstance(engine, LedgerSQLiteEngine):
        async with engine.transaction(allow_nested=False, durable=False):
            yield
        return
    async with engine.transaction(allow_nested=False):
        if is_postgres(engine):
            await engine.run_querystring(QueryString("SET LOCAL synchronous_commit TO OFF"))
        yield


def make_engine(database_url: str) -> Engine:
    """Build the Piccolo engine for a `sqlite:///path` or `postgresql://…` URL."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL is a property of the database file, so once is enough.
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode = WAL")
        return LedgerSQLiteEngine(path=str(path), timeout=30)
    if database_url.startswith(("postgresql://", "postgres://")):
        return PostgresEngine(config={"dsn": database_url}, extensions=())
    raise ValueError(f"unsupported database URL: {database_url!r}")


async def open_engine(database_url: str, pool_size: int = 20) -> Engine:
    """An engine ready for queries (PostgreSQL: its connection pool started)."""
    engine = make_engine(database_url)
    if is_postgres(engine):
        await engine.start_connection_pool(
            min_size=1, max_size=pool_size, reset=keep_session_as_left
        )
    return engine


async def keep_session_as_left(connection: Any) -> None:
    """asyncpg's pool resets every connection it takes back (`RESET ALL`, `UNLISTEN *`, advisory
    locks released): a second round trip after every query, a fifth of the server's time per
    request. CaseTrail leaves no session state behind: settings are `SET LOCAL`, the ledger's lock
    is transaction-scoped, and the one session lock (a job's, backend/jobs.py) is released by its
    holder or its connection closed. An open transaction is still rolled back by the pool itself.
    """


async def close_engine(engine: Engine) -> None:
    """Release the engine's connections; SQLite's worker threads would otherwise keep a process alive."""
    if is_postgres(engine):
        await engine.close_connection_pool()
    elif isinstance(engine, LedgerSQLiteEngine):
        await engine.close()


V = TypeVar("V")
# Values per IN list: one statement binds at most 32,766 parameters on SQLite and 32,767 on
# PostgreSQL, and a large agency's cases or a province's day of deadlines pass that.
IN_LIST = 500


def in_lists(values: Iterable[V]) -> Iterator[list[V]]:
    """The distinct `values`, in order, `IN_LIST` at a time: one statement's IN list each."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), IN_LIST):
        yield unique[start : start + IN_LIST]


def is_postgres(engine: Engine) -> bool:
    return engine.engine_type == "postgres"


def lock_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for a lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


_LOCAL_LOCKS: dict[str, asyncio.Lock] = {}


@asynccontextmanager
async def shared_lock(engine: Engine, name: str) -> AsyncIterator[None]:
    """Hold the lock `name` across every process on this database for the block.

    A check followed by a write (one open draw commitment per officer, a witness recording the
    size it cosigned) must not interleave with the same check in another worker or on another
    server. On PostgreSQL that is a session advisory lock on a connection held for the block;
    SQLite is served by one process, where an asyncio lock is enough.
    """
    if is_postgres(engine):
        async with engine.pool.acquire() as connection:  # type: ignore[attr-defined]
            await connection.execute("SELECT pg_advisory_lock($1)", lock_key(name))
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", lock_key(name))
        return
    async with _LOCAL_LOCKS.setdefault(name, asyncio.Lock()):
        yield
