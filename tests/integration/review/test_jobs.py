"""Periodic jobs: only one worker runs a job at a time (PostgreSQL advisory lock, or a file lock)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from backend.jobs import Job, run_once
from backend.review.jobs import draw_last_month
from tests.integration.ledger.drafts import note
from tests.integration.review.casebook import build_case


async def test_two_workers_never_run_the_same_job_at_once(engine, settings):
    running, ran = 0, []

    async def slow() -> None:
        nonlocal running
        running += 1
        ran.append(running)
        await asyncio.sleep(0.3)
        running -= 1

    job = Job("slow", 60, slow)
    lock_dir = settings.data_dir / "locks"
    results = await asyncio.gather(run_once(engine, lock_dir, job), run_once(engine, lock_dir, job))
    assert sorted(results) == [False, True]
    assert ran == [1]
    assert await run_once(engine, lock_dir, job)  # released afterwards


async def test_the_checkpoint_job_signs_the_tree_and_the_monthly_draw_runs_once(
    projected, blobs, tmp_path, settings
):
    ledger = projected
    await build_case(ledger, blobs, tmp_path, at=datetime(2025, 3, 3, tzinfo=UTC))
    lock_dir = settings.data_dir / "locks"
    assert await run_once(ledger.engine, lock_dir, Job("checkpoint", 600, ledger.checkpoint))
    assert (await ledger.latest_checkpoint()).size == ledger.tree.size
    now = datetime(2025, 4, 1, 3, tzinfo=UTC)
    assert await draw_last_month(ledger, now) == 1
    assert await draw_last_month(ledger, now) == 1  # the same draw, found again
    drawn = [e for e in await ledger.whole_timeline("agency:pingluo-transport")]
    assert [e.kind for e in drawn] == ["spotcheck.drawn"]


async def test_a_server_restarted_every_few_seconds_still_signs_checkpoints_of_its_growth(
    ledger, settings
):
    from backend.runtime import open_runtime

    entries = [await ledger.append(note("case-restarts", f"第{i}步")) for i in range(3)]
    assert await ledger.latest_checkpoint() is None
    # A restart well inside the interval: the first run must not wait a whole interval.
    async with open_runtime(settings) as runtime:
        assert runtime.settings.checkpoint_interval_s <= 60
        signed = None
        for _ in range(200):  # bounded wait for the job, polling rather than sleeping blind
            signed = await runtime.ledger.latest_checkpoint()
            if signed:
                break
            await asyncio.sleep(0.05)
    assert signed is not None and signed.size == len(entries)


async def test_the_checkpoint_job_signs_only_when_the_log_has_grown(ledger):
    from backend.review.jobs import checkpoint_if_grown

    assert not await checkpoint_if_grown(ledger)  # an empty log: nothing to sign
    await ledger.append(note("case-grows"))
    assert await checkpoint_if_grown(ledger)
    assert not await checkpoint_if_grown(ledger)
    assert [c.size for c in await ledger.checkpoints()] == [1]
