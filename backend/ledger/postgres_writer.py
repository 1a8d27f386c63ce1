"""The ledger's writer on PostgreSQL: a connection on a thread and event loop of its own.

A whole write transaction runs on that loop (`run`), serialised across workers and servers by an
advisory lock. On the server's loop, each of a batch's five round trips waited for a turn of a
loop busy with the requests the last batch's answers brought back; on the writer's own loop,
nothing else is waiting, so a trip costs what the database takes.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from piccolo.engine.base import Engine

from backend.ledger.writer import T, Writer

LEDGER_LOCK = 0x4C454447  # PostgreSQL advisory lock key serialising ledger writers
_PLACEHOLDER = re.compile(r"\?")
PG_FUNCTION_BODY = """
BEGIN
  RAISE EXCEPTION 'casetrail: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END """
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION casetrail_append_only() RETURNS trigger LANGUAGE plpgsql AS $${PG_FUNCTION_BODY}$$
"""


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class PostgresWriter(Writer):
    name = "postgres"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._conn: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def run(self, work: Callable[[Writer], Awaitable[T]]) -> T:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="casetrail-ledger-writer", daemon=True
            )
            self._thread.start()
        done = asyncio.run_coroutine_threadsafe(self._transaction(work), self._loop)
        return await asyncio.wrap_future(done)

    async def _transaction(self, work: Callable[[Writer], Awaitable[T]]) -> T:
        """On the writer's loop: `work` holding the ledger's lock, committed or rolled back.

        The advisory lock is released with the transaction, so a killed worker never leaves it
        held. BEGIN and the lock go in one message."""
        if self._conn is None or self._conn.is_closed():
            self._conn = await self.engine.get_new_connection()  # type: ignore[attr-defined]
        conn = self._conn
        await conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({LEDGER_LOCK})")
        try:
            result = await work(self)
        except BaseException:
            if not conn.is_closed():
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        return result

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._conn.fetch(_numbered(sql), *args)]

    async def execute(self, sql: str, *args: Any) -> None:
        await self._conn.execute(_numbered(sql), *args)

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        await self._conn.executemany(_numbered(sql), rows)

    async def close(self) -> None:
        if self._loop is None:
            return
        if self._conn is not None:
            closing = asyncio.run_coroutine_threadsafe(self._conn.close(), self._loop)
            await asyncio.wrap_future(closing)
            self._conn = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
        self._loop.close()
        self._loop = self._thread = None

    @classmethod
    def append_only_ddl(cls, table: str, unique_keys: tuple[tuple[str, ...], ...]) -> list[str]:
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

    @classmethod
    def expected_triggers(
        cls, table: str, unique_keys: tuple[tuple[str, ...], ...]
    ) -> dict[str, str]:
        # As pg_get_triggerdef reports them back (it spells UPDATE OR DELETE the other way round).
        return {
            f"{table}_no_change": f"CREATE TRIGGER {table}_no_change BEFORE DELETE OR UPDATE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION casetrail_append_only()",
            f"{table}_no_truncate": f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION casetrail_append_only()",
        }

    @classmethod
    async def found_triggers(cls, engine: Engine, table: str) -> dict[str, str]:
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
            found[r["tgname"]] = re.sub(r" ON \S+\.", " ON ", r["definition"], count=1)
        return found
