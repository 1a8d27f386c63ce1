#!/usr/bin/env python3
"""Figures for sizing a deployment (docs/deployment.md): what one server process costs.

Starts `casetrail serve` on a fresh database (PostgreSQL by default), signs in officers through
the real passkey endpoints, and measures from the server process's own CPU counters (/proc):
  - appends over HTTP: appends/s with the driver on the same machine, and server CPU ms per append
    (so appends/s per core = 1000 / cpu_ms_per_append, whatever the driver costs);
  - photos: server CPU ms per 3 MB photo (tus upload in 1 MB chunks, checks, blob, entry);
  - storage: PostgreSQL bytes per ledger entry (table, indexes and TOAST of `ledger_entry`,
    then the whole database including projections and sessions, per entry).
Prints figures; never a test. Last line:
RESULT appends_per_s=… cpu_ms_per_append=… cpu_ms_per_photo=… pg_bytes_per_entry=… db_bytes_per_entry=…

Usage: .venv/bin/python scripts/bench_scale.py [--engine postgres|sqlite] [--appends N] [--photos N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402
from PIL import Image  # noqa: E402

from backend.settings import Settings  # noqa: E402
from tests.integration.conftest import signed_in  # noqa: E402
from tests.integration.identity.people import AGENCY, open_case  # noqa: E402
from tests.integration.servers import Server, real_client, server_env  # noqa: E402
from tests.integration.uploads import upload_media  # noqa: E402

PG_ADMIN = os.environ.get("CASETRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def photo(seed: int, size_mb: float = 3.0) -> bytes:
    """A JPEG of about `size_mb`: noise compresses badly, as a real scene's detail does."""
    rng = random.Random(seed)
    side = 1200
    while True:
        image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90, exif=Image.Exif())
        if out.tell() >= size_mb * 1_000_000 or side > 4000:
            return out.getvalue()
        side = int(side * 1.25)


async def appends(client, headers, case_ids: list[str], total: int, concurrency: int) -> float:
    queue = list(range(total))

    async def officer() -> None:
        while queue:
            n = queue.pop()
            body = {"kind": "note", "client_id": str(uuid.uuid4()),
                    "payload": {"text": f"现场检查记录第{n}条：经营场所门口堆放杂物，已当场告知整改。"}}  # fmt: skip
            answer = await client.post(
                f"/api/cases/{case_ids[n % len(case_ids)]}/entries", json=body, headers=headers
            )
            assert answer.status_code == 201, answer.text

    started = time.perf_counter()
    await asyncio.gather(*(officer() for _ in range(concurrency)))
    return time.perf_counter() - started


async def upload(client, headers, case_id: str, data: bytes) -> None:
    await upload_media(
        client,
        headers,
        case_id,
        data,
        claimed={"time": "2026-03-01T09:00:00+08:00"},
        chunk_size=1 << 20,
    )


async def run(args: argparse.Namespace, workdir: Path) -> None:
    if args.engine == "postgres":
        name = f"bench_scale_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f"CREATE DATABASE {name}")
        database_url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    else:
        database_url = f"sqlite:///{workdir / 'casetrail.sqlite'}"
    settings = Settings.from_env(
        {
            "CASETRAIL_DATA_DIR": str(workdir / "data"),
            "CASETRAIL_DATABASE_URL": database_url,
            "CASETRAIL_PUBLIC_URL": "http://localhost:8000",
        }  # fmt: skip
    )
    env = server_env(settings, database_url, settings.public_url)
    server = Server(env, workdir / "server.log").start()
    try:
        from backend.database import close_engine, open_engine
        from backend.migrations import bind

        engine = await open_engine(database_url)
        bind(engine)  # the invites the sign-in helper writes
        async with real_client(server.url, settings) as client:
            officer = await signed_in(client, "officer", AGENCY)
            cases = [await open_case(client, officer) for _ in range(20)]
            await appends(client, officer, cases, 200, args.concurrency)  # warm up
            pids = [server.process.pid]
            before = cpu_s(pids)
            took = await appends(client, officer, cases, args.appends, args.concurrency)
            cpu_append = (cpu_s(pids) - before) / args.appends * 1000
            rate = args.appends / took
            print(f"appends: {args.appends} at {args.concurrency} concurrent in {took:.1f} s: "
                  f"{rate:.0f}/s, server CPU {cpu_append:.2f} ms per append")  # fmt: skip
            photos = [photo(n) for n in range(args.photos)]
            mb = sum(len(p) for p in photos) / len(photos) / 1e6
            before = cpu_s(pids)
            for data in photos:
                await upload(client, officer, cases[0], data)
            cpu_photo = (cpu_s(pids) - before) / len(photos) * 1000
            print(f"photos: {len(photos)} of {mb:.1f} MB, server CPU {cpu_photo:.1f} ms each")
        per_entry = db_per_entry = 0.0
        if args.engine == "postgres":
            conn = await asyncpg.connect(database_url)
            count = await conn.fetchval("SELECT count(*) FROM ledger_entry")
            table = await conn.fetchval("SELECT pg_total_relation_size('ledger_entry')")
            whole = await conn.fetchval(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
            body = await conn.fetchval("SELECT avg(octet_length(body)) FROM ledger_entry")
            await conn.close()
            whole, body = int(whole), float(body)
            per_entry = table / count
            db_per_entry = whole / count
            print(f"storage: {count} entries (body {body:.0f} B on average), ledger_entry "
                  f"{table / 1e6:.1f} MB ({per_entry:.0f} B/entry), all tables {whole / 1e6:.1f} MB "
                  f"({db_per_entry:.0f} B/entry)")  # fmt: skip
        await close_engine(engine)
    finally:
        server.stop()
        if args.engine == "postgres":
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.close()
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    print(f"RESULT appends_per_s={rate:.0f} cpu_ms_per_append={cpu_append:.2f} "
          f"cpu_ms_per_photo={cpu_photo:.1f} pg_bytes_per_entry={per_entry:.0f} "
          f"db_bytes_per_entry={db_per_entry:.0f}")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--engine", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--appends", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--photos", type=int, default=20)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
