"""The ledger's own write connection: one long-lived connection, one transaction per batch.

Piccolo's SQLite engine opens a fresh connection (and thread) for every transaction, which
costs more than the durable commit itself; group commit wants one connection that stays open.
Statements use `?` placeholders and are rewritten to `$n` for PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import dict_factory

from backend.database import SQLITE_PRAGMAS, is_postgres

LEDGER_LOCK = 0x4C454447  # PostgreSQL advisory lock key serialising ledger writers
_PLACEHOLDER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class WriterConnection:
    """Runs one batch transaction at a time for the ledger."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite: aiosqlite.Connection | None = None
        self._pg: Any = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[WriterConnection]:
        """A write transaction that holds the ledger's write lock until it commits."""
        if is_postgres(self.engine):
            pool = getattr(self.engine, "pool", None)
            if pool is not None:
                async with pool.acquire() as conn, conn.transaction():
                    self._pg = conn
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", LEDGER_LOCK)
                    yield self
                return
            conn = await self.engine.get_new_connection()
            try:
                async with conn.transaction():
                    self._pg = conn
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", LEDGER_LOCK)
                    yield self
            finally:
                await conn.close()
            return
        if self._sqlite is None:
            self._sqlite = await aiosqlite.connect(**self.engine.connection_kwargs)
            self._sqlite.row_factory = dict_factory  # type: ignore[assignment]
            for pragma in SQLITE_PRAGMAS:
                await self._sqlite.execute(pragma)
        await self._sqlite.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            await self._sqlite.rollback()
            raise
        await self._sqlite.commit()

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        if self._pg is not None:
            return [dict(r) for r in await self._pg.fetch(_numbered(sql), *args)]
        assert self._sqlite is not None
        async with self._sqlite.execute(sql, args) as cursor:
            return await cursor.fetchall()  # type: ignore[return-value]

    async def execute(self, sql: str, *args: Any) -> None:
        if self._pg is not None:
            await self._pg.execute(_numbered(sql), *args)
            return
        assert self._sqlite is not None
        await self._sqlite.execute(sql, args)

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
            self._sqlite = None
