"""Deadline reminders as an officer and an archivist meet them, on a database of many open cases.

The job runs every ten minutes on the server's loop; it reads the deadlines falling due (the
`notify_deadline` projection), never every open case.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from backend import database
from backend.cases.lifecycle import open_case
from backend.ledger.entry import Draft
from backend.ledger.ledger import Ledger
from backend.notify import sending
from backend.notify.projection import rebuild_all, redate_open_deadlines
from backend.notify.recipients import deadline_reminders
from backend.notify.tables import PendingDeadline
from tests.integration.review.casebook import AGENCY, build_case, claimed

UPLOAD_SOON = "音像记录须在4小时内上传"
UPLOAD_OVERDUE = "音像记录上传已逾期"
ARCHIVE_SOON = "案卷归档期限将至"


async def phones() -> None:
    """Officer Zhang and archivist Wu have allowed notifications on their phones."""
    for staff_id, roles in (("officer-zhang", ["officer"]), ("archivist-wu", ["archivist"])):
        await sending.subscribe(endpoint=f"http://127.0.0.1:9/push/{staff_id}", p256dh="key",
                                auth="secret", staff_id=staff_id, agency_id=AGENCY, roles=roles)  # fmt: skip


async def opened(ledger: Ledger, n: int) -> str:
    """A case just opened by officer Zhang (nothing recorded yet)."""
    return await open_case(
        ledger,
        agency_id=AGENCY,
        actor="officer-zhang",
        client_id=f"open-{n}-{datetime.now(UTC).timestamp()}",
        payload={"title": f"超限运输案{n}", "enforcement_kind": "penalty", "procedure": "general",
                 "start_path": "ex_officio", "summary": "车辆超限运输。",
                 "parties": [{"name": "某运输公司", "kind": "organisation"}]},
        officers=[],
    )  # fmt: skip


async def recorded(ledger: Ledger, case_id: str, ended: datetime, name: str) -> str:
    """The phone recorded a segment that ended at `ended`; its file is not uploaded yet."""
    sha = hashlib.sha256(f"segment {case_id} {name}".encode()).hexdigest()
    await ledger.append(Draft(
        case_id=case_id, kind="av.segment", client_id=f"seg-{case_id}-{name}",
        payload={"session_id": f"s-{name}", "index": 0, "sha256": sha,
                 "started_at": (ended - timedelta(minutes=10)).isoformat(),
                 "ended_at": ended.isoformat()},
        actor="officer-zhang",
    ))  # fmt: skip
    return sha


async def uploaded(ledger: Ledger, case_id: str, sha: str) -> None:
    """The segment's file reached the server: its media entry names the same hash."""
    await ledger.append(Draft(
        case_id=case_id, kind="media.video", client_id=f"video-{sha}",
        payload={"sha256": sha, "media_type": "video/webm", "size": 1000,
                 "caption": "现场检查录像", "findings": []},
        actor="officer-zhang", blobs=(sha,),
    ))  # fmt: skip


async def performed(ledger: Ledger, case_id: str, when: datetime) -> None:
    """The party carried out the decision: the case's workflow ends, archiving is due in 10 days."""
    await ledger.append(Draft(
        case_id=case_id, kind="record.performance", client_id=f"performed-{case_id}",
        payload={"performed": True, "details": "罚款已缴清"}, actor="officer-zhang",
        claimed=claimed(when),
    ))  # fmt: skip


async def archived(ledger: Ledger, case_id: str) -> None:
    await ledger.append(Draft(
        case_id=case_id, kind="record.archive", client_id=f"archive-{case_id}",
        payload={"dossier_number": f"平交档〔2025〕{case_id[:8]}", "archivist": "archivist-wu"},
        actor="archivist-wu",
    ))  # fmt: skip


def titles(sent: list[tuple[list[dict], Any]]) -> list[str]:
    return [message.title for _, message in sent]


class Reads:
    """Counts the statements the database runs and the rows they hand back."""

    def __init__(self, engine: Any, monkeypatch: Any) -> None:
        self.statements = 0
        self.rows = 0
        run = type(engine).run_querystring  # PostgreSQL's engine takes no attributes of its own

        async def counted(engine: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
            result = await run(engine, querystring, *args, **kwargs)
            self.statements += 1
            self.rows += len(result) if isinstance(result, list) else 0
            return result

        monkeypatch.setattr(type(engine), "run_querystring", counted)


async def test_with_many_open_cases_and_one_upload_due_a_run_reads_only_that_one(
    projected, engine, monkeypatch
):
    ledger = projected
    await phones()
    now = datetime.now(UTC)
    for n in range(80):  # each with a recording waiting, due tomorrow
        await recorded(ledger, await opened(ledger, n), now - timedelta(hours=2), f"later-{n}")
    due_case = await opened(ledger, 999)
    await recorded(ledger, due_case, now - timedelta(hours=21), "soon")  # pingluo: 24 h

    async def never(*args: Any) -> list:
        raise AssertionError("the reminder job read the ledger")

    ledger.of_kinds = ledger.whole_timeline = ledger.whole_timelines = never
    reads = Reads(engine, monkeypatch)
    sent = await deadline_reminders(ledger)

    assert titles(sent) == [UPLOAD_SOON]
    assert "超限运输案999" in sent[0][1].body
    # 81 open cases with a recording waiting: visiting each would read 81 rows at least. The run
    # reads the one deadline due, its case, the reminder mark, the members and their phones.
    assert reads.rows <= 10, reads.rows
    assert reads.statements <= 12, reads.statements


async def test_on_a_day_of_many_deadlines_every_case_due_is_reminded_of(projected, monkeypatch):
    # The cases due are read a few hundred at a time; three at a time here, so five take two reads.
    monkeypatch.setattr(database, "IN_LIST", 3)
    ledger = projected
    await phones()
    now = datetime.now(UTC)
    for n in range(5):
        await recorded(ledger, await opened(ledger, n), now - timedelta(hours=21), f"soon-{n}")

    sent = await deadline_reminders(ledger)

    assert titles(sent) == [UPLOAD_SOON] * 5
    assert sorted(m.body[: m.body.index("：")] for _, m in sent) == [
        f"超限运输案{n}" for n in range(5)
    ]


async def test_uploading_the_recording_clears_its_reminder_whichever_arrives_first(projected):
    ledger = projected
    await phones()
    ended = datetime.now(UTC) - timedelta(hours=21)
    segment_first = await opened(ledger, 1)
    sha = await recorded(ledger, segment_first, ended, "a")
    await uploaded(ledger, segment_first, sha)
    upload_first = await opened(ledger, 2)
    await uploaded(
        ledger, upload_first, hashlib.sha256(f"segment {upload_first} b".encode()).hexdigest()
    )
    await recorded(ledger, upload_first, ended, "b")

    assert await deadline_reminders(ledger) == []


async def test_an_upload_never_made_is_reminded_of_once_when_due_and_once_when_overdue(
    projected,
):
    ledger = projected
    await phones()
    now = datetime.now(UTC)
    case_id = await opened(ledger, 1)
    await recorded(ledger, case_id, now - timedelta(hours=21), "a")

    soon = await deadline_reminders(ledger, now)
    overdue = await deadline_reminders(ledger, now + timedelta(hours=4))
    later = await deadline_reminders(ledger, now + timedelta(days=2))

    assert titles(soon) == [UPLOAD_SOON]
    assert titles(overdue) == [UPLOAD_OVERDUE]
    assert later == []


async def test_a_deadline_dated_under_an_older_pack_is_dated_again_by_the_pack_of_today(
    projected,
):
    ledger = projected
    await phones()
    case_id = await opened(ledger, 1)
    await recorded(ledger, case_id, datetime.now(UTC) - timedelta(hours=21), "a")
    # As a pack that gave 30 days to upload would have dated it; pingluo's now says 24 h.
    await PendingDeadline.update(
        {PendingDeadline.due_at: datetime.now(UTC) + timedelta(days=30)}
    ).where(PendingDeadline.case_id == case_id)
    assert await deadline_reminders(ledger) == []

    assert await redate_open_deadlines() == 1
    assert titles(await deadline_reminders(ledger)) == [UPLOAD_SOON]


async def test_archiving_the_dossier_clears_its_archive_reminder(projected, blobs, tmp_path):
    ledger = projected
    await phones()
    ended = datetime.now(UTC) - timedelta(days=8)  # pingluo: archive within 10 days of the end
    done = await build_case(ledger, blobs, tmp_path, archived=False, at=ended)
    await performed(ledger, done.case_id, ended)
    await archived(ledger, done.case_id)
    waiting = await build_case(ledger, blobs, tmp_path, archived=False, at=ended, title="未归档案")
    await performed(ledger, waiting.case_id, ended)

    sent = await deadline_reminders(ledger)

    assert titles(sent) == [ARCHIVE_SOON]
    assert "未归档案" in sent[0][1].body
    assert sent[0][1].url == f"#/cases/{waiting.case_id}"


async def test_a_rebuild_from_the_log_gives_the_same_deadlines(projected, blobs, tmp_path):
    ledger = projected
    now = datetime.now(UTC)
    for case_id, ended in (
        (
            (await build_case(ledger, blobs, tmp_path, archived=True)).case_id,
            now - timedelta(days=20),
        ),
        (
            (await build_case(ledger, blobs, tmp_path, archived=False)).case_id,
            now - timedelta(days=9),
        ),
    ):
        await performed(ledger, case_id, ended)
    waiting = await opened(ledger, 1)
    await recorded(ledger, waiting, now - timedelta(hours=3), "waiting")
    sha = await recorded(ledger, waiting, now - timedelta(hours=2), "sent")
    await uploaded(ledger, waiting, sha)
    before = await deadlines()

    await rebuild_all(ledger)

    assert await deadlines() == before
    assert {(row["kind"], row["done"]) for row in before} == {
        ("av", False),
        ("av", True),
        ("archive", False),
        ("archive", True),
    }


async def deadlines() -> list[dict[str, Any]]:
    return await PendingDeadline.select(
        PendingDeadline.key, PendingDeadline.kind, PendingDeadline.case_id,
        PendingDeadline.sha256, PendingDeadline.starts_at, PendingDeadline.due_at,
        PendingDeadline.done, PendingDeadline.last_reminder,
    ).order_by(PendingDeadline.key)  # fmt: skip
