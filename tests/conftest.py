"""Test set-up shared by every suite: a fresh database per test on the engine under test.

`CASETRAIL_TEST_DB=postgres` runs the same tests on PostgreSQL (a throwaway database per test,
cloned from a template migrated once per run); the default is SQLite.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

import backend.handoffs  # noqa: F401  the domains' hooks, as the runtime connects them
from backend.database import close_engine, open_engine
from backend.ledger.ledger import Ledger
from backend.migrations import migrate
from backend.settings import Settings
from tests.engines import ENGINE, PG_ADMIN

RUN = uuid.uuid4().hex[:8]


def pg_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database that each test copies (file copy on SQLite, TEMPLATE on PostgreSQL)."""
    import asyncio

    async def build(url: str) -> None:
        engine = await open_engine(url)
        try:
            await migrate(engine)
        finally:
            await close_engine(engine)

    if ENGINE == "postgres":
        name = f"ct_template_{RUN}"
        asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
        asyncio.run(build(pg_url(name)))
        yield name
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite"
        asyncio.run(build(f"sqlite:///{path}"))
        yield str(path)


@pytest.fixture
async def database_url(template_db: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    if ENGINE == "postgres":
        name = f"ct_{RUN}_{uuid.uuid4().hex[:10]}"
        await _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template_db}")
        yield pg_url(name)
        await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        path = tmp_path / "casetrail.sqlite"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "CASETRAIL_DATA_DIR": str(tmp_path / "data"),
            "CASETRAIL_DATABASE_URL": database_url,
            "CASETRAIL_PUBLIC_URL": "http://localhost:8000",
        }
    )


@pytest.fixture
async def engine(settings: Settings):
    engine = await open_engine(settings.database_url, pool_size=60)
    await migrate(engine)  # binds the tables to this engine; nothing left to apply
    yield engine
    await close_engine(engine)


@pytest.fixture
async def ledger(engine, settings: Settings) -> AsyncIterator[Ledger]:
    ledger = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)
    yield ledger
    await ledger.close()


@pytest.fixture
async def app_client(settings: Settings):
    """The real app over HTTP, run in this test's event loop.

    Litestar's test client runs the app in a thread of its own; a PostgreSQL pool opened there
    cannot serve the test's own queries (invites, direct checks), so the lifespan runs here.
    """
    from httpx import ASGITransport, AsyncClient

    from backend.app import create_app

    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with app.lifespan():  # must be left by the task that entered it
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve())
    await started.wait()
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://localhost:8000") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c
    stop.set()
    await task


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long soak/kill runs (`@pytest.mark.slow`) run only when asked for: `-m slow` or
    CASETRAIL_SLOW=1. Each has a short version that always runs."""
    import os

    if "slow" in (config.getoption("-m") or "") or os.environ.get("CASETRAIL_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="long run: -m slow or CASETRAIL_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
