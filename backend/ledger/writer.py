"""The ledger's writer: one long-lived connection, one transaction per batch, per database engine.

Piccolo's SQLite engine opens a fresh connection (and thread) for every transaction, which
costs more than the durable commit itself; group commit wants one connection that stays open.
What differs between engines (how the write lock is taken, placeholders, the append-only
triggers) lives in one writer class per engine, chosen once here, instead of `is_postgres`
branches in every module that touches the ledger's tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from piccolo.engine.base import Engine

T = TypeVar("T")


class Writer:
    """Runs one batch transaction at a time for the ledger; statements use `?` placeholders."""

    name: ClassVar[str]

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(self, work: Callable[[Writer], Awaitable[T]]) -> T:
        """`work(tx)` in one write transaction that holds the ledger's write lock until it
        commits; rolled back if `work` raises. `work` reaches the database only through `tx`
        (it may run on the connection's own thread)."""
        raise NotImplementedError

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def fetch_many(
        self, sql: str, columns: tuple[str, ...], *args: Any
    ) -> list[dict[str, Any]]:
        """`fetch` for a query that may return many rows; `columns` names what it selects."""
        return await self.fetch(sql, *args)

    async def execute(self, sql: str, *args: Any) -> None:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Release the long-lived connection, if the engine keeps one."""

    # -- the engine's append-only guards ---------------------------------------------------

    @classmethod
    def append_only_ddl(cls, table: str, unique_keys: tuple[tuple[str, ...], ...]) -> list[str]:
        """DDL that rejects UPDATE, DELETE (and TRUNCATE, REPLACE) on `table`."""
        raise NotImplementedError

    @classmethod
    def expected_triggers(
        cls, table: str, unique_keys: tuple[tuple[str, ...], ...]
    ) -> dict[str, str]:
        """Trigger name -> the definition it must have, as the database reports it back."""
        raise NotImplementedError

    @classmethod
    async def found_triggers(cls, engine: Engine, table: str) -> dict[str, str]:
        """Trigger name -> its definition as stored, for the enabled triggers on `table`."""
        raise NotImplementedError

    @classmethod
    def replace_guard_repair_ddl(
        cls, table: str, unique_keys: tuple[tuple[str, ...], ...]
    ) -> list[str]:
        """DDL replacing a first-generation REPLACE guard (only SQLite has one)."""
        return []


def writer_class(engine: Engine) -> type[Writer]:
    """The writer for `engine`'s database: the one place the ledger asks which engine it runs on."""
    # Imported here: each engine's module subclasses `Writer` from this one.
    if engine.engine_type == "postgres":
        from backend.ledger.postgres_writer import PostgresWriter

        return PostgresWriter
    from backend.ledger.sqlite_writer import SQLiteWriter

    return SQLiteWriter


def writer_for(engine: Engine) -> Writer:
    return writer_class(engine)(engine)
