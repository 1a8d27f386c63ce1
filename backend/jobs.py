"""Periodic jobs run inside the app, once per interval across every worker and server.

A domain declares its jobs module in `backend/domains.py` (`jobs(runtime) -> list[Job]`); `running_jobs(runtime)` starts
them all for the life of the app. Each run first takes a lock named after the job: on PostgreSQL
`pg_try_advisory_lock` on a pooled connection held for the run, elsewhere an exclusive file lock in
the data directory. A worker that does not get the lock skips that run; another worker is doing it.
Holding the lock, the worker then reads when the job last ran anywhere (the `job_run` table): each
server ticks on its own clock, so without that record N servers would run every job N times per
interval (N checkpoints a minute, N reminder sweeps).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from piccolo.columns import Timestamptz, Varchar
from piccolo.engine.base import Engine
from piccolo.table import Table

from backend.database import is_postgres
from backend.domains import DOMAINS

log = logging.getLogger("casetrail.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    interval_s: float
    run: Callable[[], Awaitable[Any]]
    # None: the first run waits a whole interval. A job that protects what happened before a
    # restart (the checkpoint) runs soon after start instead, or frequent restarts starve it.
    first_after_s: float | None = None


# A run counts as "this interval's" if it started no longer ago than this share of the interval:
# servers tick at different moments, and a strict interval would let one skip a whole extra one.
DUE_SHARE = 0.9


class JobRun(Table, tablename="job_run"):
    """When each periodic job last started, on whichever server ran it."""

    name = Varchar(length=80, unique=True)
    last_run_at = Timestamptz()


async def create_job_tables(engine: Engine) -> None:
    await JobRun.create_table(if_not_exists=True)


async def _due(job: Job, now: datetime) -> bool:
    """Whether no server ran `job` within this interval; if due, record this run as started."""
    rows = await JobRun.raw("SELECT last_run_at FROM job_run WHERE name = {}", job.name)
    if rows and (now - rows[0]["last_run_at"]).total_seconds() < job.interval_s * DUE_SHARE:
        return False
    await JobRun.raw(
        "INSERT INTO job_run (name, last_run_at) VALUES ({}, {}) "
        "ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at",
        job.name,
        now,
    )
    return True


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key per job name."""
    return int.from_bytes(
        hashlib.sha256(f"casetrail-job:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextlib.asynccontextmanager
async def job_lock(engine: Any, lock_dir: Path, name: str) -> AsyncIterator[bool]:
    """Yields True if this worker holds the job's lock for the run, False if another worker does."""
    if is_postgres(engine):
        async with engine.pool.acquire() as connection:
            got = await connection.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(name))
            try:
                yield bool(got)
            finally:
                if got:
                    try:
                        await connection.fetchval("SELECT pg_advisory_unlock($1)", lock_key(name))
                    except BaseException:
                        # The pool does not reset connections (database.keep_session_as_left):
                        # a lock that could not be released goes with its connection.
                        connection.terminate()
                        raise
        return
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / f"{name}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def run_once(engine: Any, lock_dir: Path, job: Job, periodic: bool = False) -> bool:
    """Run `job` now if no other worker is running it; returns whether it ran.

    `periodic`: also skip it when any server already ran it within this interval.
    """
    async with job_lock(engine, lock_dir, job.name) as mine:
        if not mine:
            return False
        if periodic and not await _due(job, datetime.now(UTC)):
            return False
        await job.run()
        return True


async def _loop(engine: Any, lock_dir: Path, job: Job) -> None:
    # By default the first run waits one interval so starting the app writes nothing by itself.
    delay = job.interval_s if job.first_after_s is None else job.first_after_s
    while True:
        await asyncio.sleep(delay)
        delay = job.interval_s
        try:
            await run_once(engine, lock_dir, job, periodic=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic job %s failed; it runs again next interval", job.name)


def all_jobs(runtime: Any) -> list[Job]:
    found: list[Job] = []
    for domain in DOMAINS:
        module = domain.module("jobs")
        if module is not None:
            found += module.jobs(runtime)
    return found


@contextlib.asynccontextmanager
async def running_jobs(runtime: Any, enabled: bool = True) -> AsyncIterator[list[Job]]:
    """Start every domain's periodic jobs for the duration of the block."""
    jobs = all_jobs(runtime) if enabled else []
    lock_dir = runtime.settings.data_dir / "locks"
    tasks = [asyncio.create_task(_loop(runtime.engine, lock_dir, job)) for job in jobs]
    try:
        yield jobs
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
