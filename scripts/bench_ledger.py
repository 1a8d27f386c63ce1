#!/usr/bin/env python3
"""Ledger benchmark: durable appends/s vs. a raw durable INSERT loop, verify time, proof time,
and the CPU cost of a note body's canonical JSON (ours against the reference rfc8785).

Prints figures; never a test. Last line:
RESULT append_vs_raw=<ratio> verify_10k_s=<s> proof_1m_ms=<ms>

Usage: .venv/bin/python scripts/bench_ledger.py [--engine sqlite|postgres] [--appends N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg  # noqa: E402
import rfc8785  # noqa: E402
from bench_setup import CONCURRENCY, append_rate, bench_ledger  # noqa: E402

from backend.ledger.entry import Draft, canonical  # noqa: E402
from backend.ledger.ledger import Ledger  # noqa: E402
from backend.ledger.merkle import MerkleTree  # noqa: E402
from backend.ledger.verify import verify_database  # noqa: E402


def draft(case_id: str, i: int) -> Draft:
    return Draft(
        case_id=case_id,
        kind="note",
        client_id=str(uuid.uuid4()),
        payload={"text": f"现场检查记录第{i}条：当事人在场，执法人员出示证件。"},
        claimed={"time": datetime.now(UTC).isoformat(), "geo": {"lat": 38.04, "lon": 114.51}},
    )


async def appends_per_second(ledger: Ledger, n: int) -> tuple[float, float, float]:
    """Appends/s, and CPU µs per append of the event loop's thread and of the whole process.

    The server's appends are bound by its one event-loop thread, so its CPU per append is the
    figure to watch; the process figure adds what other threads (e.g. promise signing) spent.
    """
    loop_cpu, process_cpu = time.thread_time(), time.process_time()
    rate = await append_rate(ledger, n, lambda i: draft(f"bench-{i % 16}", i))
    per_append = 1e6 / n
    return (
        rate,
        (time.thread_time() - loop_cpu) * per_append,
        (time.process_time() - process_cpu) * per_append,
    )


def raw_sqlite_per_second(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, case_id TEXT, body TEXT)")
    body = "x" * 400
    started = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO raw (case_id, body) VALUES (?, ?)", (f"c{i % 16}", body))
        conn.execute("COMMIT")
    rate = n / (time.perf_counter() - started)
    conn.close()
    return rate


async def raw_postgres_per_second(url: str, n: int) -> float:
    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE raw (id BIGSERIAL PRIMARY KEY, case_id TEXT, body TEXT)")
    body = "x" * 400
    started = time.perf_counter()
    for i in range(n):
        await conn.execute("INSERT INTO raw (case_id, body) VALUES ($1, $2)", f"c{i % 16}", body)
    rate = n / (time.perf_counter() - started)
    await conn.close()
    return rate


async def verify_seconds(ledger: Ledger, entries: int) -> float:
    await append_rate(ledger, entries, lambda i: draft("verify-case", i))
    await ledger.checkpoint()
    started = time.perf_counter()
    report = await verify_database(ledger, None, "verify-case")
    elapsed = time.perf_counter() - started
    assert report.ok, report.problems[:3]
    return elapsed


def proof_ms(leaves: int, samples: int = 2000) -> float:
    rng = random.Random(7)
    tree = MerkleTree(rng.randbytes(32) for _ in range(leaves))
    indices = [rng.randrange(leaves) for _ in range(samples)]
    started = time.perf_counter()
    for index in indices:
        tree.inclusion_proof(index, leaves)
    return (time.perf_counter() - started) / samples * 1000


def canonical_us(dumps: Callable[[dict], bytes], rounds: int = 5, n: int = 2000) -> float:
    """CPU µs per canonical JSON of a typical note body (best of `rounds`: the machine is shared)."""
    body = draft("bench-0", 12).body(12, "ab" * 32, 1, datetime.now(UTC))
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(n):
            dumps(body)
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--appends", type=int, default=5000)
    parser.add_argument("--verify-entries", type=int, default=10_000)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        async with bench_ledger(args.engine, tmpdir, "bench", ("_raw",)) as (ledger, url):
            if args.engine == "postgres":
                raw = await raw_postgres_per_second(url + "_raw", args.appends)
            else:
                raw = raw_sqlite_per_second(tmpdir / "raw.sqlite", args.appends)
            print(f"raw durable single-row INSERT ({args.engine}): {raw:,.0f}/s")
            rate, loop_us, process_us = await appends_per_second(ledger, args.appends)
            print(f"ledger.append durable, {CONCURRENCY} concurrent callers: {rate:,.0f}/s")
            print(
                f"CPU per append: event-loop thread {loop_us:.0f} µs, process {process_us:.0f} µs"
            )
            ratio = rate / raw

            verify_s = await verify_seconds(ledger, args.verify_entries)
            print(f"verify one case of {args.verify_entries:,} entries: {verify_s:.3f} s")

    ours, reference = canonical_us(canonical), canonical_us(rfc8785.dumps)
    print(f"canonical JSON of a note body: {ours:.1f} µs CPU (rfc8785.dumps: {reference:.1f} µs)")
    proof = proof_ms(args.leaves)
    print(f"inclusion proof at {args.leaves:,} leaves: {proof:.4f} ms")
    print(f"RESULT append_vs_raw={ratio:.2f} verify_10k_s={verify_s:.3f} proof_1m_ms={proof:.4f}")


if __name__ == "__main__":
    asyncio.run(main())
