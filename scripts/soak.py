#!/usr/bin/env python3
"""Soak: a long mixed load at 100 officers on a log of 100,000 entries; no request over 2 s.

Prints figures; never a test (tests/integration/test_soak.py is its short version in the suite).
Set-up as `scripts/bench_http.py` (a temporary data directory, or with `--db postgres` a database
of its own): officers with sessions and a case each, and the log filled first to `--entries` with
notes on their cases, appended in large groups in-process before the server starts. Then for
`--duration` seconds (10 minutes by default) `wrk` sends 80% appends and 15% timeline reads and a
Python thread uploads photos (tus create-with-upload, then finalise) as a twentieth of the requests.
Afterwards the log must hold every acknowledged append. Last line:

RESULT requests=<n> max_ms=<ms> p99_ms=<ms> errors=<non-2xx, failed or lost>

Usage: .venv/bin/python scripts/soak.py [--db sqlite|postgres] [--officers N] [--entries N]
       [--duration S] [--keep]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import (  # noqa: E402
    ROOT,
    Database,
    Server,
    load,
    mixed_with_photos,
    need_wrk,
    tear_down,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--officers", type=int, default=100)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=600)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--photos-per-s", type=float, default=5.0)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--checkout", type=Path, default=ROOT)
    args = parser.parse_args()
    wrk = need_wrk()
    work = Path(tempfile.mkdtemp(prefix="casetrail-soak-"))
    database = Database(args.db, work)
    database.create()
    server = Server(work, database.url, args.checkout)
    try:
        print(f"soak: {args.db}, {args.officers} officers, load {load()}")
        started = time.perf_counter()
        filler = max(0, args.entries - 2 * args.officers)  # each case opens with two entries
        officers = server.setup(args.officers, filler)
        (work / "officers.tsv").write_text(
            "".join(f"{o['session']}\t{o['csrf']}\t{o['case_id']}\n" for o in officers)
        )
        print(f"  log of {filler + 2 * args.officers} entries made in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        started = time.perf_counter()
        server.start()
        print(f"  serving after {time.perf_counter() - started:.1f} s")
        mixed, uploader = mixed_with_photos(
            wrk, server, work, officers, args.threads, args.duration, args.photos_per_s
        )
        peak_rss = server.rss_mb()
        server.stop()
        in_log = database.notes() - filler
        lost = max(0, mixed.appended - in_log)
        photo_max = max(uploader.latencies_ms, default=0.0)
        requests = mixed.requests + len(uploader.latencies_ms)
        errors = mixed.errors + uploader.errors + lost
        print(
            f"  {mixed.requests} appends and reads ({mixed.ok_per_s:.0f}/s), {uploader.photos} "
            f"photos; p50 {mixed.p50_ms:.1f} ms, p99 {mixed.p99_ms:.1f} ms, max {mixed.max_ms:.0f} "
            f"ms, photo requests max {photo_max:.0f} ms; 5xx {mixed.server_errors}, "
            f"{mixed.appended} appends acknowledged, {lost} missing; server peak RSS "
            f"{peak_rss:.0f} MB (load {load()})"
        )
        print(
            f"RESULT requests={requests} max_ms={max(mixed.max_ms, photo_max):.0f} "
            f"p99_ms={mixed.p99_ms:.1f} errors={errors}"
        )
    finally:
        tear_down(server, database, work, keep=args.keep)


if __name__ == "__main__":
    main()
