"""Projections follow committed batches from memory, skip what they do not want, and still equal a
rebuild from the log; a projection that missed entries catches up from its stored cursor."""

from __future__ import annotations

import asyncio
import uuid

from backend.cases import projection as cases_projection
from backend.cases.tables import CaseState
from backend.ledger import projections
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger
from backend.ledger.projections import follow
from backend.ledger.tables import ProjectionCursor
from tests.integration.ledger.drafts import note


def opened(case_id: str) -> Draft:
    payload = {
        "title": "某劳务公司拖欠工资案",
        "agency_id": "zhengxiang-hrss",
        "enforcement_kind": "penalty",
        "procedure": "general",
        "start_path": "ex_officio",
        "parties": [{"name": "某劳务公司", "kind": "organisation"}],
    }
    return Draft(case_id, "case.opened", str(uuid.uuid4()), payload, actor="E001")


def stage(case_id: str, name: str) -> Draft:
    return Draft(case_id, "case.stage", str(uuid.uuid4()), {"stage": name}, actor="E001")


async def case_rows() -> list[dict]:
    rows = await CaseState.select().order_by(CaseState.case_id)
    return [{k: v for k, v in row.items() if k != "id"} for row in rows]


async def stored_cursor(name: str) -> int:
    rows = await ProjectionCursor.select().where(ProjectionCursor.name == name)
    return rows[0]["log_index"]


class Recorder:
    """A projection that records the log indices of the stage changes it applied."""

    def __init__(self) -> None:
        self.applied: list[int] = []
        self.fail_next = False

    @staticmethod
    def wants(entry: Entry) -> bool:
        return entry.kind == "case.stage"

    async def apply(self, entry: Entry) -> None:
        if not self.wants(entry):
            return
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("projection bug")
        self.applied.append(entry.log_index)


async def test_a_projection_followed_batch_by_batch_equals_its_rebuild(ledger):
    await cases_projection.register(ledger)
    cases = [str(uuid.uuid4()) for _ in range(3)]
    await asyncio.gather(*[ledger.append(opened(c)) for c in cases])
    await asyncio.gather(
        *[ledger.append(note(c, f"第{i}条")) for c in cases for i in range(5)],
        *[ledger.append(stage(c, "investigation")) for c in cases],
        ledger.append(note("agency:zhengxiang-hrss", "not a case")),
    )
    await ledger.append(stage(cases[0], "service"))
    followed = await case_rows()
    assert {r["stage"] for r in followed} == {"investigation", "service"}
    assert all(r["last_seq"] == 6 for r in followed if r["case_id"] != cases[0])

    await cases_projection.rebuild_all(ledger)
    assert await case_rows() == followed


async def test_batches_a_projection_does_not_want_are_skipped_without_a_write(ledger):
    recorder = Recorder()
    follower = follow(ledger, "test.stages", recorder.apply, recorder.wants)
    first = await ledger.append(stage("case-1", "investigation"))  # the first batch catches up
    assert await stored_cursor("test.stages") == first.log_index

    skipped = await ledger.append(note("case-1"))
    assert await stored_cursor("test.stages") == first.log_index  # kept lazily
    assert follower.seen == skipped.log_index

    wanted = await ledger.append(stage("case-1", "service"))
    assert await stored_cursor("test.stages") == wanted.log_index
    assert recorder.applied == [first.log_index, wanted.log_index]


async def test_a_cursor_left_behind_by_unwanted_batches_moves_before_it_lags_a_page(
    ledger, monkeypatch
):
    # After a day of nothing but notes, a restart must not replay the day to every projection
    # that does not follow notes: its cursor moves along once it lags MAX_LAG entries.
    monkeypatch.setattr(projections, "MAX_LAG", 5)
    recorder = Recorder()
    follower = follow(ledger, "test.stages", recorder.apply, recorder.wants)
    first = await ledger.append(stage("case-1", "investigation"))
    notes = [await ledger.append(note("case-1", f"第{i}条")) for i in range(12)]
    assert follower.seen == notes[-1].log_index
    assert notes[-1].log_index - await stored_cursor("test.stages") < 5
    assert await stored_cursor("test.stages") > first.log_index
    assert recorder.applied == [first.log_index]  # moving along applied nothing


async def test_a_projection_that_missed_entries_catches_up_from_the_log(ledger, engine):
    recorder = Recorder()
    follow(ledger, "test.stages", recorder.apply, recorder.wants)
    await ledger.append(stage("case-1", "start"))
    other_worker = Ledger(engine)  # appends this process's follower never hears of
    missed = [await other_worker.append(stage("case-1", "investigation")) for _ in range(2)]
    await other_worker.close()

    last = await ledger.append(stage("case-1", "service"))
    assert recorder.applied == [0, *[e.log_index for e in missed], last.log_index]
    assert await stored_cursor("test.stages") == last.log_index


async def test_a_cursor_moved_by_another_worker_sends_the_batch_through_the_log(ledger):
    recorder = Recorder()
    follower = follow(ledger, "test.stages", recorder.apply, recorder.wants)
    await ledger.append(stage("case-1", "start"))
    skipped = await ledger.append(note("case-1"))
    # Another worker caught up over the skipped entry and moved the shared cursor.
    await ProjectionCursor.update({ProjectionCursor.log_index: skipped.log_index}).where(
        ProjectionCursor.name == "test.stages"
    )
    wanted = await ledger.append(stage("case-1", "service"))
    assert recorder.applied == [0, wanted.log_index]  # nothing applied twice
    assert await stored_cursor("test.stages") == wanted.log_index
    assert follower.stored == wanted.log_index


async def test_a_failed_batch_leaves_the_cursors_and_is_applied_with_the_next(ledger):
    recorder, healthy = Recorder(), Recorder()
    follow(ledger, "test.stages", recorder.apply, recorder.wants)
    follow(ledger, "test.healthy", healthy.apply, healthy.wants)
    first = await ledger.append(stage("case-1", "start"))
    recorder.fail_next = True
    failed = await ledger.append(stage("case-1", "investigation"))  # still answered
    # Both projections wrote in one transaction, so both moves were rolled back.
    assert await stored_cursor("test.stages") == first.log_index
    assert await stored_cursor("test.healthy") == first.log_index

    after = await ledger.append(stage("case-1", "service"))
    expected = [first.log_index, failed.log_index, after.log_index]
    assert recorder.applied == healthy.applied == expected
    assert await stored_cursor("test.stages") == after.log_index
    assert await stored_cursor("test.healthy") == after.log_index


async def test_a_batch_of_notes_on_many_cases_marks_each_case_as_a_rebuild_would(ledger):
    await cases_projection.register(ledger)
    cases = [str(uuid.uuid4()) for _ in range(40)]
    await ledger.append_all([opened(c) for c in cases])
    # One commit: notes on every case (some twice), and a stage change on one of them.
    await ledger.append_all(
        [note(c, f"第{i}条") for i in range(2) for c in cases[:30]]
        + [note(c, "巡查") for c in cases[30:]]
        + [stage(cases[0], "investigation")]
    )
    followed = await case_rows()
    assert {r["last_seq"] for r in followed if r["case_id"] in cases[1:30]} == {2}
    assert {r["last_seq"] for r in followed if r["case_id"] in cases[30:]} == {1}
    assert next(r for r in followed if r["case_id"] == cases[0])["stage"] == "investigation"

    await cases_projection.rebuild_all(ledger)
    assert await case_rows() == followed
