#!/usr/bin/env python3
"""Log benchmark: memory, start-up and proof time of the tiled Merkle tree at 1 M and 10 M entries.

Builds a synthetic log per size on SQLite (fast: the tiles of random leaves written directly with
executemany, then one real entry at the last full tile's end and the tail appended through the
Ledger, so the tail is tiled by the code under test), then in a fresh process measures what a
restarted server does with it. Then `casetrail serve` on the largest log: killed with -9 once
serving, and restarted, until it answers `/checkpoint`.

Prints figures; never a test. One line per size, then the restart:
RESULT entries=<n> rss_mb=<peak MB> startup_ms=<tree ready> proof_ms=<cold inclusion+consistency>
RESULT restart_after_kill_ms=<spawn to serving> restart_cpu_ms=<its CPU until then> entries=<n> load1=<>

Usage: .venv/bin/python scripts/bench_log.py [--sizes 1000000,10000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHUNK = 1 << 20  # leaves generated and tiled per round, so building never holds the whole log


async def build(db: Path, data_dir: Path, size: int) -> None:
    """A migrated database whose log has `size` entries: tiles for all, rows for the tail."""
    from backend.database import close_engine, open_engine
    from backend.ledger.entry import Draft, canonical
    from backend.ledger.ledger import Ledger
    from backend.ledger.tiled_tree import INSERT_TILE, as_rows
    from backend.ledger.tiles import TILE_WIDTH, Edge
    from backend.migrations import migrate

    engine = await open_engine(f"sqlite:///{db}")
    await migrate(engine)
    await close_engine(engine)
    tiled = size - size % TILE_WIDTH
    # The entry at the last full tile's end is real (the appender chains from it), the rest random.
    seed = Draft("bench-seed", "note", str(uuid.uuid4()), {"text": "基准测试"})
    received = datetime.now(UTC)
    seed_text = canonical(seed.body(0, None, 1, received))
    seed_hash = __import__("hashlib").sha256(seed_text).digest()
    rng, edge = random.Random(size), Edge()
    with sqlite3.connect(db) as conn:
        while edge.size < tiled - 1:
            n = min(CHUNK, tiled - 1 - edge.size)
            leaves = [rng.randbytes(32) for _ in range(n)]
            edge, filled = edge.grown(leaves)
            conn.executemany(INSERT_TILE, as_rows(filled))
            conn.commit()
        edge, filled = edge.grown([seed_hash])
        conn.executemany(INSERT_TILE, as_rows(filled))
        conn.execute(
            "INSERT INTO ledger_entry (log_index, case_id, seq, hash, prev_hash, kind, client_id, "
            "received_at, body) VALUES (?, ?, 0, ?, NULL, 'note', ?, ?, ?)",
            (tiled - 1, "bench-seed", seed_hash.hex(), seed.client_id, received.isoformat(),
             seed_text.decode()),
        )  # fmt: skip
        conn.commit()
    engine = await open_engine(f"sqlite:///{db}")
    await migrate(engine)
    ledger = Ledger.for_data_dir(engine, data_dir, "bench.example/log")
    try:
        tail = [
            Draft("bench-tail", "note", str(uuid.uuid4()), {"text": f"第{i}条"})
            for i in range(size - tiled)
        ]
        if tail:
            await ledger.append_all(tail)
        assert (await ledger.sync_tree()).size == size
        await ledger.checkpoint()
    finally:
        await ledger.close()
        await close_engine(engine)


MEASURE = """
import asyncio, json, random, sys, time
sys.path.insert(0, {root!r})
started = time.perf_counter()
from backend.database import close_engine, open_engine
from backend.ledger.ledger import Ledger
from backend.migrations import bind

async def main():
    engine = await open_engine({url!r})
    bind(engine)
    ledger = Ledger.for_data_dir(engine, __import__("pathlib").Path({data!r}), "bench.example/log")
    t0 = time.perf_counter()
    tree = await ledger.sync_tree()
    startup_ms = (time.perf_counter() - t0) * 1000
    rng = random.Random(1)
    t0 = time.perf_counter()
    for _ in range(20):
        size = tree.size - rng.randrange(1000)
        await tree.inclusion_proof(rng.randrange(size), size)
        await tree.consistency_proof(rng.randrange(1, size), size)
    proof_ms = (time.perf_counter() - t0) * 1000 / 20
    await ledger.close()
    await close_engine(engine)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking parent.
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    rss_mb = int(status.split()[0]) / 1024
    print(json.dumps(dict(entries=tree.size, rss_mb=round(rss_mb, 1),
        startup_ms=round(startup_ms, 1), proof_ms=round(proof_ms, 2))))

asyncio.run(main())
"""


def measure(db: Path, data_dir: Path) -> dict:
    code = MEASURE.format(root=str(ROOT), url=f"sqlite:///{db}", data=str(data_dir))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used: on a shared, busy machine the wall time
    to serving mostly measures the other processes; this measures the server's own work."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(db: Path, data_dir: Path, port: int) -> tuple[subprocess.Popen, float, float]:
    """Start `casetrail serve`; return it, the seconds until it answered /checkpoint and the
    CPU seconds it used until then."""
    env = {
        **os.environ,
        "CASETRAIL_DATA_DIR": str(data_dir),
        "CASETRAIL_DATABASE_URL": f"sqlite:///{db}",
        "CASETRAIL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CASETRAIL_LOG_NAME": "bench.example/log",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    while True:
        if process.poll() is not None:
            raise RuntimeError("casetrail serve exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/checkpoint", timeout=2) as r:
                if r.status == 200:
                    return process, time.perf_counter() - started, cpu_s(process.pid)
        except OSError:
            time.sleep(0.02)  # polling the port: the server is not listening yet


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--keep", help="build the logs in this directory and keep them")
    args = parser.parse_args()
    base = Path(args.keep or tempfile.mkdtemp(prefix="bench-log-"))
    base.mkdir(parents=True, exist_ok=True)
    last = None
    for size in (int(s) for s in args.sizes.split(",")):
        db, data_dir = base / f"log-{size}.sqlite", base / f"data-{size}"
        if not db.exists():
            t0 = time.perf_counter()
            asyncio.run(build(db, data_dir, size))
            print(f"built {size} entries in {time.perf_counter() - t0:.1f} s", flush=True)
        r = measure(db, data_dir)
        print(
            f"RESULT entries={r['entries']} rss_mb={r['rss_mb']} "
            f"startup_ms={r['startup_ms']} proof_ms={r['proof_ms']}",
            flush=True,
        )
        last = (db, data_dir, size)
    assert last is not None
    db, data_dir, size = last
    port = free_port()
    process, first, _ = serve(db, data_dir, port)
    print(f"first start (migrations checked, key made) {first * 1000:.0f} ms", flush=True)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process, again, cpu = serve(db, data_dir, port)
    process.send_signal(signal.SIGTERM)
    process.wait()
    load = os.getloadavg()[0]
    print(
        f"RESULT restart_after_kill_ms={again * 1000:.0f} restart_cpu_ms={cpu * 1000:.0f} "
        f"entries={size} load1={load:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
