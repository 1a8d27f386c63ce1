"""Appends form one gap-free, fork-free chain per case, exactly once per client UUID."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import rfc8785

from backend.errors import Conflict, Invalid
from backend.ledger import appender
from backend.ledger.entry import Draft
from backend.ledger.ledger import Ledger
from backend.ledger.tables import LedgerEntry
from backend.ledger.verify import verify_database
from tests.integration.ledger.drafts import note


async def test_entries_chain_by_hash_in_sequence(ledger):
    first = await ledger.append(note("case-1", "到达现场"))
    second = await ledger.append(note("case-1", "出示执法证"))
    assert (first.seq, second.seq) == (0, 1)
    assert first.body["prev_hash"] is None
    assert second.body["prev_hash"] == first.hash
    assert [e.hash for e in await ledger.timeline("case-1")] == [first.hash, second.hash]


async def test_resending_the_same_capture_returns_the_original_entry(ledger):
    draft = note("case-1")
    first = await ledger.append(draft)
    again = await ledger.append(draft)
    assert again.hash == first.hash
    assert await LedgerEntry.count() == 1


async def test_reusing_a_client_uuid_for_different_content_is_refused(ledger):
    draft = note("case-1")
    await ledger.append(draft)
    with pytest.raises(Conflict):
        await ledger.append(Draft(**{**draft.__dict__, "payload": {"text": "改过的"}}))


async def test_unknown_kinds_and_schema_violations_are_refused_and_store_nothing(ledger):
    with pytest.raises(Invalid, match="unknown entry kind"):
        await ledger.append(Draft("case-1", "made.up", str(uuid.uuid4()), {}))
    with pytest.raises(Invalid, match="应填写文字"):
        await ledger.append(Draft("case-1", "note", str(uuid.uuid4()), {"text": 5}))
    with pytest.raises(Invalid, match="claimed"):
        await ledger.append(note("case-1", claimed={"geo": {"lat": 999, "lon": 0}}))
    assert await LedgerEntry.count() == 0


async def test_a_correction_points_at_what_it_corrects_and_the_original_stays(ledger):
    original = await ledger.append(note("case-1", "当事人姓名：张三"))
    fix = await ledger.append(
        note("case-1", "当事人姓名：张山", corrects={"hash": original.hash, "reason": "笔误"})
    )
    assert fix.body["corrects"]["hash"] == original.hash
    assert [e.payload["text"] for e in await ledger.timeline("case-1")] == [
        "当事人姓名：张三",
        "当事人姓名：张山",
    ]
    with pytest.raises(Invalid, match="not on this timeline"):
        await ledger.append(note("case-2", corrects={"hash": original.hash, "reason": "x"}))


async def test_fifty_concurrent_appenders_give_a_gap_free_fork_free_chain(ledger, engine, settings):
    # Two independent ledger writers (as two server workers would be) race on one case.
    other = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)
    drafts = [note("busy-case", f"第{i}条") for i in range(60)]
    entries = await asyncio.gather(
        *[(ledger if i % 2 else other).append(d) for i, d in enumerate(drafts)]
    )
    timeline = await ledger.whole_timeline("busy-case")
    assert [e.seq for e in timeline] == list(range(60))
    for previous, entry in zip(timeline, timeline[1:], strict=False):
        assert entry.body["prev_hash"] == previous.hash
    assert sorted(e.log_index for e in entries) == list(range(60))
    assert len({e.hash for e in entries}) == 60
    await other.close()


async def test_every_concurrent_appender_is_answered_only_after_projections_saw_its_entry(ledger):
    # A caller that reads right after its append (a phone opening the case it just sent) must find
    # it projected, even when another caller's commit carried its entry.
    seen: set[str] = set()

    async def slow_projection(entries):
        await asyncio.sleep(0.01)
        seen.update(e.hash for e in entries)

    ledger.on_append(slow_projection)

    async def append_then_read(i: int) -> bool:
        entry = await ledger.append(note("busy-case", f"第{i}条"))
        return entry.hash in seen

    assert all(await asyncio.gather(*[append_then_read(i) for i in range(20)]))


async def test_entries_appended_together_are_committed_in_one_batch(ledger):
    batches: list[list[str]] = []

    async def record(entries):
        batches.append([e.case_id for e in entries])

    ledger.on_append(record)
    await asyncio.gather(
        *[ledger.append(note("case-1", f"前{i}")) for i in range(3)],
        ledger.append_all([note("case-2", "立案"), note("case-2", "成员")]),
    )
    assert any(b.count("case-2") == 2 for b in batches), "entries appended together were split"
    assert await LedgerEntry.count() == 5


async def test_a_failing_projection_does_not_lose_the_entry_or_block_the_answer(ledger):
    async def broken(entries):
        raise RuntimeError("projection bug")

    ledger.on_append(broken)
    entry = await ledger.append(note("case-1"))
    assert [e.hash for e in await ledger.timeline("case-1")] == [entry.hash]


async def test_checkpoints_asked_for_at_once_are_one_signature_not_an_error(ledger):
    await ledger.append(note("case-race"))
    made = await asyncio.gather(*(ledger.checkpoint() for _ in range(5)))
    assert {c.note for c in made} == {made[0].note}
    assert [c.size for c in await ledger.checkpoints()] == [1]


async def test_entries_written_before_and_after_the_quick_canonical_json_chain_and_verify_alike(
    ledger, monkeypatch
):
    """Entries stored when rfc8785 wrote every body and entries written now (msgspec where it
    agrees) are the same bytes: one chain, one verify, and resends still recognised."""

    def located(text: str, accuracy: float) -> Draft:
        geo = {"lat": 38.0428, "lon": 114.5149, "accuracy_m": accuracy}
        return note("case-old-new", text, claimed={"geo": geo, "utc_offset_min": 480})

    with monkeypatch.context() as before:
        before.setattr(appender, "canonical", rfc8785.dumps)
        old = [located("改动前写入：到达现场", 8.0), located("改动前写入：出示证件", 12.5)]
        written_before = [await ledger.append(d) for d in old]
    written_after = [await ledger.append(located(f"改动后写入：第{i}条", 8.0)) for i in range(2)]

    timeline = await ledger.whole_timeline("case-old-new")
    assert [e.hash for e in timeline] == [e.hash for e in written_before + written_after]
    assert written_after[0].body["prev_hash"] == written_before[-1].hash
    for row in await LedgerEntry.select(LedgerEntry.body).order_by(LedgerEntry.log_index):
        assert row["body"].encode() == rfc8785.dumps(json.loads(row["body"]))
    assert [await ledger.append(d) for d in old] == written_before  # resends, not conflicts
    assert (await verify_database(ledger)).ok
