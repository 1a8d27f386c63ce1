"""Entries appended together land together or not at all; a case is opened once; a fix keeps its kind."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from backend.errors import Conflict, Invalid
from backend.ledger.entry import Draft
from backend.ledger.ledger import Ledger
from backend.ledger.tables import LedgerEntry
from tests.integration.ledger.drafts import note


def opening(case_id: str, agency_id: str, *team: str) -> list[Draft]:
    client_id = str(uuid.uuid4())
    opened = Draft(
        case_id,
        "case.opened",
        client_id,
        {
            "title": "工资案",
            "enforcement_kind": "penalty",
            "procedure": "general",
            "start_path": "ex_officio",
            "agency_id": agency_id,
            "parties": [],
        },
        actor=team[0],
    )
    members = [
        Draft(
            case_id,
            "case.member_added",
            f"{client_id}:member:{s}",
            {"staff_id": s, "role": "officer"},
        )
        for s in team
    ]
    return [opened, *members]


async def test_a_refused_opening_lands_none_of_its_team(ledger):
    original = await ledger.append_all(opening("case-1", "zhengxiang-hrss", "zhang"))
    hijack = opening("case-1", "pingluo-transport", "intruder", "accomplice")

    with pytest.raises(Conflict) as refused:
        await ledger.append_all(hijack)

    assert refused.value.code == "case_exists"
    assert [e.hash for e in await ledger.timeline("case-1")] == [e.hash for e in original]
    assert await LedgerEntry.count() == len(original)
    # The log goes on without a gap where the refused group would have been.
    after = await ledger.append(note("case-2"))
    assert after.log_index == len(original)


async def test_every_draft_of_a_refused_group_gets_the_refusal_and_the_others_in_its_batch_land(
    ledger,
):
    first = await ledger.append_all(opening("case-1", "zhengxiang-hrss", "zhang"))
    batches: list[list[str]] = []

    async def record(entries):
        batches.append([e.case_id for e in entries])

    ledger.on_append(record)
    # All three are queued before the committer runs, so they share one transaction.
    busy, hijack, honest = await asyncio.gather(
        ledger.append(note("case-3")),
        ledger.append_all(opening("case-1", "pingluo-transport", "intruder", "accomplice")),
        ledger.append_all(opening("case-2", "zhengxiang-hrss", "li", "wang")),
        return_exceptions=True,
    )

    assert isinstance(hijack, Conflict) and hijack.code == "case_exists"
    assert [e.case_id for e in honest] == ["case-2"] * 3
    assert batches == [["case-3", *["case-2"] * 3]]
    # The refused drafts took no place in the log: it goes on without a gap.
    indices = [e.log_index for e in [*first, busy, *honest]]
    assert indices == list(range(len(indices)))
    assert [e.hash for e in await ledger.timeline("case-1")] == [e.hash for e in first]


async def test_resending_a_whole_group_returns_the_originals(ledger):
    group = opening("case-1", "zhengxiang-hrss", "zhang", "li")
    first = await ledger.append_all(group)
    again = await ledger.append_all(group)
    assert [e.hash for e in again] == [e.hash for e in first]
    assert await LedgerEntry.count() == 3


async def test_a_group_that_is_partly_a_resend_is_refused_whole(ledger):
    group = opening("case-1", "zhengxiang-hrss", "zhang")
    await ledger.append_all(group)
    extra = Draft("case-1", "case.member_added", f"{group[0].client_id}:member:wang",
                  {"staff_id": "wang", "role": "officer"})  # fmt: skip
    with pytest.raises(Conflict) as refused:
        await ledger.append_all([*group, extra])
    assert refused.value.code == "client_id_reused"
    assert await LedgerEntry.count() == 2


async def test_two_workers_racing_to_open_one_case_id_open_it_once(ledger, engine, settings):
    other = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)
    try:
        results = await asyncio.gather(
            *[
                (ledger if i % 2 else other).append_all(opening("raced", f"agency-{i}", f"s{i}"))
                for i in range(6)
            ],
            return_exceptions=True,
        )
    finally:
        await other.close()
    landed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(landed) == 1
    assert all(isinstance(r, Conflict) and r.code == "case_exists" for r in refused)
    timeline = await ledger.timeline("raced")
    assert [e.kind for e in timeline] == ["case.opened", "case.member_added"]
    assert timeline[0].hash == landed[0][0].hash


async def test_a_correction_must_be_of_the_kind_it_corrects(ledger):
    reveal = await ledger.append(
        Draft("case-1", "note", str(uuid.uuid4()), {"text": "抽取结果：甲公司"})
    )
    with pytest.raises(Invalid) as refused:
        await ledger.append(
            Draft(
                "case-1",
                "case.stage",
                str(uuid.uuid4()),
                {"stage": "investigation"},
                corrects={"hash": reveal.hash, "reason": "改"},
            )
        )
    assert refused.value.code == "bad_correction"
    assert [e.hash for e in await ledger.timeline("case-1")] == [reveal.hash]
    fixed = await ledger.append(
        note("case-1", "抽取结果：乙公司", corrects={"hash": reveal.hash, "reason": "笔误"})
    )
    assert fixed.body["corrects"]["hash"] == reveal.hash
