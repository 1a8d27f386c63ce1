#!/usr/bin/env python3
"""Deadline reminders benchmark: one run of the 10-minute job on a database of many open cases,
a few of them due, through the `notify_deadline` projection against the removed reader that
visited every open case (its CaseState row, then its entries of the kinds a deadline depends on).

Prints figures; never a test. Both readers must find the same reminders. Last line:
RESULT cases=<n> visit_all_ms=<ms> visit_all_cpu_ms=<ms> due_only_ms=<ms> due_only_cpu_ms=<ms>

Usage: .venv/bin/python scripts/bench_reminders.py [--engine sqlite|postgres] [--cases N]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_setup import CONCURRENCY, bench_ledger  # noqa: E402

import backend.handoffs  # noqa: E402, F401  the domains' hooks, as the runtime connects them
from backend.ledger.entry import Draft, Entry, utc_iso  # noqa: E402
from backend.ledger.ledger import Ledger  # noqa: E402
from backend.moments import parse_iso  # noqa: E402
from backend.notify import sending  # noqa: E402
from backend.notify.recipients import (  # noqa: E402
    ARCHIVE_SOON,
    ARCHIVISTS,
    AV_SOON,
    Message,
    archive_reminder,
    case_members,
    deadline_reminders,
    once,
    subscriptions,
    upload_reminder,
)
from backend.notify.tables import ReminderSent  # noqa: E402
from backend.runtime import projection_modules  # noqa: E402

AGENCY = "pingluo-transport"  # 24 h to upload, 10 days to archive
RUNS = 3


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def case_drafts(n: int, now: datetime, due: str | None) -> list[Draft]:
    """An open case with a recording (uploaded unless due) and a photo; `due` makes it fall due:
    "av" (a recording not uploaded, due within 4 h) or "archive" (ended 8 days ago)."""
    case_id = str(uuid.uuid4())
    seg = sha(f"segment {case_id}")
    ended = now - timedelta(hours=21 if due == "av" else 2)

    def draft(kind: str, payload: dict, **more: object) -> Draft:
        return Draft(case_id=case_id, kind=kind, client_id=f"{kind}-{case_id}",
                     payload=payload, actor="officer-zhang", **more)  # fmt: skip

    drafts = [
        draft("case.opened", {"title": f"超限运输案{n}", "enforcement_kind": "penalty",
                              "procedure": "general", "start_path": "ex_officio",
                              "summary": "车辆超限运输。", "agency_id": AGENCY,
                              "parties": [{"name": "某运输公司", "kind": "organisation"}]}),
        draft("case.member_added", {"staff_id": "officer-zhang", "role": "handler"}),
        draft("av.segment", {"session_id": f"s-{n}", "index": 0, "sha256": seg,
                             "started_at": (ended - timedelta(minutes=10)).isoformat(),
                             "ended_at": ended.isoformat()}),
        draft("media.photo", {"sha256": sha(f"photo {case_id}"), "media_type": "image/jpeg",
                              "size": 1000, "findings": []}, blobs=(sha(f"photo {case_id}"),)),
    ]  # fmt: skip
    if due != "av":
        drafts.append(draft("media.video", {"sha256": seg, "media_type": "video/webm",
                                            "size": 1000, "findings": []}, blobs=(seg,)))  # fmt: skip
    if due == "archive":
        drafts.append(draft("record.performance", {"performed": True, "details": "罚款已缴清"},
                            claimed={"time": utc_iso(now - timedelta(days=8))}))  # fmt: skip
    return drafts


async def fill(ledger: Ledger, cases: int, now: datetime) -> None:
    due = {7: "av", cases // 2: "av", cases - 3: "av", 11: "archive", cases - 5: "archive"}
    queue = list(range(cases))

    async def caller() -> None:
        while queue:
            n = queue.pop()
            await ledger.append_all(case_drafts(n, now, due.get(n)))

    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))


async def visit_every_open_case(
    ledger: Ledger, now: datetime | None = None
) -> list[tuple[list[dict], Message]]:
    """The removed reader, as it was: every open case, each run."""
    from backend.cases.lifecycle import pack_for
    from backend.cases.tables import CaseState
    from backend.evidence.deadlines import upload_deadline

    now = now or datetime.now(UTC)
    out: list[tuple[list[dict], Message]] = []
    open_cases = []
    for case in await CaseState.select().where(CaseState.status == "open"):
        try:
            open_cases.append((case, await pack_for(case["agency_id"])))
        except Exception:
            continue
    # Only the kinds a reminder depends on, for every open case in a few chunked reads: a case's
    # whole timeline (photos' findings, forms, access entries ...) is never read for this.
    flows = {
        case["case_id"]: pack.workflow(case["enforcement_kind"], case["procedure"])
        for case, pack in open_cases
    }
    wanted = {"av.segment", "record.archive"} | {
        k for k in ledger.kinds.files if k.startswith("media.")
    }
    wanted |= {kind for flow in flows.values() if flow for kind in flow["ends_with"]}
    by_case: dict[str, list[Entry]] = {}
    for entry in await ledger.of_kinds(list(flows), sorted(wanted)):
        by_case.setdefault(entry.case_id, []).append(entry)
    for case, pack in open_cases:
        case_id, agency = case["case_id"], case["agency_id"]
        entries = by_case.get(case_id, [])
        uploaded = {e.payload.get("sha256") for e in entries if e.kind.startswith("media.")}
        members = None
        for segment in (e for e in entries if e.kind == "av.segment"):
            sha = segment.payload.get("sha256")
            if segment.payload.get("media_entry") or (sha and sha in uploaded):
                continue
            due = upload_deadline(
                pack.deadlines, parse_iso(segment.payload["ended_at"]), now
            ).deadline
            stage = "overdue" if now > due else ("soon" if due - now <= AV_SOON else None)
            if stage is None or not await once(f"av:{stage}:{segment.hash}"):
                continue
            members = members or await case_members(ledger, case_id)
            out.append((
                await subscriptions(agency, staff=members),
                upload_reminder(case["title"], stage, due, segment.hash),
            ))  # fmt: skip
        flow = flows[case_id]
        enders = [e for e in entries if flow and e.kind in flow["ends_with"]]
        if enders and not any(e.kind == "record.archive" for e in entries):
            from backend.ledger.ledger import entry_time

            due = max(entry_time(e) for e in enders) + timedelta(
                days=pack.deadlines["archive"]["days"]
            )
            if due - now <= ARCHIVE_SOON and await once(f"archive:{case_id}"):
                members = members or await case_members(ledger, case_id)
                out.append((
                    await subscriptions(agency, staff=members, roles=ARCHIVISTS),
                    archive_reminder(case["title"], case_id, due),
                ))  # fmt: skip
    return [(rows, m) for rows, m in out if rows]


async def timed(job, ledger: Ledger, now: datetime) -> tuple[float, float, list[str]]:
    """(wall ms, CPU ms of this process, tags sent) for one run with no reminder sent before."""
    await ReminderSent.delete(force=True)
    wall, cpu = time.perf_counter(), time.process_time()
    sent = await job(ledger, now)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall * 1000, cpu * 1000, sorted(m.tag for _, m in sent)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cases", type=int, default=5_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        async with bench_ledger(args.engine, Path(tmp), "bench_reminders") as (ledger, _):
            for module in projection_modules():
                await module.register(ledger)
            for staff_id, roles in (
                ("officer-zhang", ["officer"]),
                ("archivist-wu", ["archivist"]),
            ):
                await sending.subscribe(endpoint=f"http://127.0.0.1:9/{staff_id}", p256dh="k",
                                        auth="a", staff_id=staff_id, agency_id=AGENCY, roles=roles)  # fmt: skip
            now = datetime.now(UTC)
            started = time.perf_counter()
            await fill(ledger, args.cases, now)
            print(f"{args.cases:,} open cases (about {5 * args.cases:,} entries) in "
                  f"{time.perf_counter() - started:.0f} s; 3 uploads and 2 archives due")  # fmt: skip
            before, after = [], []
            for _ in range(RUNS):  # alternated, so both see the same machine load
                before.append(await timed(visit_every_open_case, ledger, now))
                after.append(await timed(deadline_reminders, ledger, now))
            assert {r[2] == before[0][2] for r in before + after} == {True}, (before, after)
            assert len(before[0][2]) == 5, before[0][2]
            figures = {}
            for name, runs in (("visit_all", before), ("due_only", after)):
                figures[f"{name}_ms"] = statistics.median(r[0] for r in runs)
                figures[f"{name}_cpu_ms"] = statistics.median(r[1] for r in runs)
                print(f"{name}: median of {RUNS} runs {figures[f'{name}_ms']:.1f} ms, "
                      f"{figures[f'{name}_cpu_ms']:.1f} ms CPU in this process")  # fmt: skip
    print(f"RESULT cases={args.cases} " + " ".join(f"{k}={v:.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    asyncio.run(main())
