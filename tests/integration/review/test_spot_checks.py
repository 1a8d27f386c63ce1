"""A supervisor's monthly spot checks: a reproducible sample per officer, findings, overdue checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.review import spotchecks
from tests.integration.review.casebook import AGENCY, build_case

MARCH = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


async def test_draw_is_reproducible_and_undone_checks_become_overdue(projected, blobs, tmp_path):
    ledger = projected
    for n in range(3):
        await build_case(ledger, blobs, tmp_path, at=MARCH + timedelta(days=n), recordings=30)
    await build_case(ledger, blobs, tmp_path, officer="officer-wang", at=MARCH, recordings=2)
    drawn_at = datetime(2025, 4, 1, 2, 0, tzinfo=UTC)

    draws = await spotchecks.draw_period(ledger, AGENCY, "2025-03", drawn_at)

    by_officer = {d.payload["officer"]: d.payload for d in draws}
    zhang = by_officer["officer-zhang"]
    assert zhang["population"] == 90
    assert zhang["quota"] == 5  # 5 % of 90, rounded up; more than the minimum of 3
    assert by_officer["officer-wang"]["quota"] == 2  # minimum 3, but only 2 recordings exist
    # Anyone can redraw the sample from the seed and the candidate list.
    candidates = [
        e.hash for e in (await spotchecks.recordings_by_officer(AGENCY, "2025-03"))["officer-zhang"]
    ]
    assert zhang["seed"] == spotchecks.draw_seed(AGENCY, "2025-03", "officer-zhang", candidates)
    assert [i["entry_hash"] for i in zhang["items"]] == spotchecks.draw_sample(
        zhang["seed"], candidates, 5
    )
    # Drawing again returns the same draws and appends nothing.
    again = await spotchecks.draw_period(ledger, AGENCY, "2025-03", drawn_at + timedelta(hours=1))
    assert sorted(d.hash for d in again) == sorted(d.hash for d in draws)

    first = zhang["items"][0]["entry_hash"]
    zhang_draw = next(d for d in draws if d.payload["officer"] == "officer-zhang")
    await spotchecks.record_finding(
        ledger, AGENCY, actor="supervisor-sun", client_id="finding-1", draw=zhang_draw.hash,
        entry_hash=first, outcome="deficient",
        checks={"start_statement": False, "complete_without_gaps": True}, notes="开头未告知录像",
    )  # fmt: skip

    on_time = await spotchecks.spot_check_ledger(AGENCY, drawn_at + timedelta(days=3))
    assert {r["status"] for r in on_time} == {"done", "pending"}
    late = await spotchecks.spot_check_ledger(AGENCY, drawn_at + timedelta(days=30))
    statuses = {r["entry_hash"]: r["status"] for r in late}
    assert statuses[first] == "done"
    assert list(statuses.values()).count("overdue") == 6
    done = next(r for r in late if r["entry_hash"] == first)
    assert done["finding"]["outcome"] == "deficient"


async def test_a_finding_on_a_recording_outside_the_draw_is_refused(projected, blobs, tmp_path):
    import pytest

    from backend.errors import Invalid

    ledger = projected
    built = await build_case(ledger, blobs, tmp_path, at=MARCH, recordings=1)
    draws = await spotchecks.draw_period(
        ledger, AGENCY, "2025-03", datetime(2025, 4, 2, tzinfo=UTC)
    )
    with pytest.raises(Invalid):
        await spotchecks.record_finding(
            ledger, AGENCY, actor="supervisor-sun", client_id="f", draw=draws[0].hash,
            entry_hash=built.entries["inspection"].hash, outcome="compliant", checks={},
        )  # fmt: skip
