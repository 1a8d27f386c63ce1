"""What the ledger benchmarks share: a fresh migrated database with a ledger, and concurrent appends.

Imported by scripts/bench_ledger.py and scripts/bench_reads.py (their folder is on sys.path).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402

from backend.database import close_engine, open_engine  # noqa: E402
from backend.ledger.entry import Draft  # noqa: E402
from backend.ledger.ledger import Ledger  # noqa: E402
from backend.migrations import migrate  # noqa: E402

PG_ADMIN = os.environ.get("CASETRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
CONCURRENCY = 64


@asynccontextmanager
async def bench_ledger(
    engine: str, tmpdir: Path, prefix: str, companions: tuple[str, ...] = ()
) -> AsyncIterator[tuple[Ledger, str]]:
    """A ledger on a new database (a PostgreSQL one named `prefix_<random>`, dropped afterwards,
    or an SQLite file in `tmpdir`), and its URL. `companions` are suffixes of further empty
    PostgreSQL databases made beside it (`<url><suffix>`)."""
    names: list[str] = []
    admin = None
    if engine == "postgres":
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        names = [name, *(name + suffix for suffix in companions)]
        admin = await asyncpg.connect(PG_ADMIN)
        for each in names:
            await admin.execute(f"CREATE DATABASE {each}")
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmpdir / 'bench.sqlite'}"
    try:
        database = await open_engine(url, pool_size=10)
        await migrate(database)
        ledger = Ledger.for_data_dir(database, tmpdir, "bench.casetrail/log")
        yield ledger, url
        await ledger.close()
        await close_engine(database)
    finally:
        if admin is not None:
            for each in names:
                await admin.execute(f"DROP DATABASE IF EXISTS {each} WITH (FORCE)")
            await admin.close()


async def append_rate(ledger: Ledger, n: int, draft: Callable[[int], Draft]) -> float:
    """Append `draft(0)` … `draft(n - 1)` from CONCURRENCY callers at once; entries per second."""
    queue = list(range(n))

    async def caller() -> None:
        while queue:
            await ledger.append(draft(queue.pop()))

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    return n / (time.perf_counter() - started)
