"""Stories for AV recording sessions: start statement, interruption with a spoken reason, closure."""

from __future__ import annotations

import pytest

from backend.errors import Conflict, Invalid
from backend.evidence.av_sessions import read_session, record_step

CASE = "agency:hebei-hrss"
START = {
    "session_id": "s1",
    "started_at": "2024-05-06T02:00:00Z",
    "place": {"text": "石家庄市某工地", "lat": 38.04, "lon": 114.5},
    "officers": [{"name": "张执法", "certificate_no": "13000001"}],
    "reason": "现场检查",
    "target": "某建筑公司",
    "step": "record.onsite_inspection",
    "told_present": True,
}


def seg(i: int) -> dict:
    return {"session_id": "s1", "index": i, "started_at": "2024-05-06T02:00:00Z",
            "ended_at": "2024-05-06T02:10:00Z"}  # fmt: skip


async def test_interrupted_recording_resumes_with_the_reason_spoken(ledger):
    await record_step(ledger, CASE, "av.session_started", "c0", START)
    await record_step(ledger, CASE, "av.segment", "c1", seg(0))
    await record_step(ledger, CASE, "av.interrupted", "c2", {"session_id": "s1",
        "at": "2024-05-06T02:10:00Z", "reason": "battery", "explanation": "电量耗尽，更换电池"})  # fmt: skip
    await record_step(ledger, CASE, "av.resumed", "c3",
                      {"session_id": "s1", "at": "2024-05-06T02:15:00Z", "spoken_reason_segment": 1})  # fmt: skip
    await record_step(ledger, CASE, "av.segment", "c4", seg(1))
    await record_step(
        ledger, CASE, "av.ended", "c5", {"session_id": "s1", "ended_at": "2024-05-06T02:40:00Z"}
    )
    session = await read_session(ledger, CASE, "s1")
    assert session.status == "ended"
    assert session.segments[1]["spoken_reason"] is True
    assert session.interruptions[0]["reason"] == "battery"
    assert session.ended["segments"] == 2
    # Resending a step returns the original entry.
    again = await record_step(ledger, CASE, "av.segment", "c4", seg(1))
    assert again.hash == session.entries[4]


async def test_segment_after_the_end_is_refused(ledger):
    await record_step(ledger, CASE, "av.session_started", "d0", START)
    await record_step(
        ledger, CASE, "av.ended", "d1", {"session_id": "s1", "ended_at": "2024-05-06T02:40:00Z"}
    )
    with pytest.raises(Conflict):
        await record_step(ledger, CASE, "av.segment", "d2", seg(0))


async def test_written_closure_needs_two_different_officers(ledger):
    await record_step(ledger, CASE, "av.session_started", "e0", START)
    closure = {"session_id": "s1", "at": "2024-05-06T03:00:00Z", "reason": "device_fault",
               "explanation": "记录仪故障，无法继续录像",
               "signed_by": [{"staff_id": "E001", "name": "张"}, {"staff_id": "E001", "name": "张"}]}  # fmt: skip
    with pytest.raises(Invalid):
        await record_step(ledger, CASE, "av.closed_in_writing", "e1", closure)
    closure["signed_by"][1] = {"staff_id": "E002", "name": "李"}
    await record_step(ledger, CASE, "av.closed_in_writing", "e1", closure)
    assert (await read_session(ledger, CASE, "s1")).status == "closed_in_writing"
