#!/usr/bin/env python3
"""Ledger reads benchmark: "which timelines name blob X" through the digest index, against the
`body LIKE '%<hash>%'` scan it replaced, and appends of entries that carry blobs.

Prints figures; never a test. Last line:
RESULT holders_index_ms=<ms> holders_scan_ms=<ms> blob_appends_per_s=<n>

Usage: .venv/bin/python scripts/bench_reads.py [--engine sqlite|postgres] [--entries N]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_setup import CONCURRENCY, append_rate, bench_ledger  # noqa: E402

from backend.ledger import reads  # noqa: E402
from backend.ledger.entry import Draft  # noqa: E402
from backend.ledger.tables import LedgerEntry  # noqa: E402

LOOKUPS = 50


def blob(i: int) -> str:
    return hashlib.sha256(f"photo-{i}".encode()).hexdigest()


def draft(i: int) -> Draft:
    return Draft(
        case_id=f"bench-{i % 200}",
        kind="note",
        client_id=str(uuid.uuid4()),
        payload={"text": f"现场照片说明第{i}条"},
        blobs=(blob(i),),
    )


async def scan(sha256: str) -> set[str]:
    """The removed reader: every body searched for the hash's text."""
    rows = await LedgerEntry.raw(
        "SELECT case_id FROM ledger_entry WHERE kind IN ('note') AND body LIKE {}", f'%"{sha256}"%'
    )
    return {r["case_id"] for r in rows}


async def lookups_ms(n: int, find) -> float:
    started = time.perf_counter()
    for i in range(0, n, max(1, n // LOOKUPS)):
        await find(blob(i))
    return (time.perf_counter() - started) / LOOKUPS * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--entries", type=int, default=20_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        async with bench_ledger(args.engine, tmpdir, "bench_reads") as (ledger, _):
            rate = await append_rate(ledger, args.entries, draft)
            print(f"appends of entries with one blob, {CONCURRENCY} callers: {rate:,.0f}/s")

            async def indexed(sha256: str) -> set[str]:
                return {e.case_id for e in await reads.naming(sha256, kinds=["note"])}

            assert await indexed(blob(7)) == await scan(blob(7)) == {"bench-7"}
            index_ms = await lookups_ms(args.entries, indexed)
            scan_ms = await lookups_ms(args.entries, scan)
            print(f"holders of a blob among {args.entries:,} entries: index {index_ms:.3f} ms")
            print(f"holders of a blob among {args.entries:,} entries: LIKE scan {scan_ms:.3f} ms")

    print(
        f"RESULT holders_index_ms={index_ms:.3f} holders_scan_ms={scan_ms:.3f} "
        f"blob_appends_per_s={rate:.0f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
