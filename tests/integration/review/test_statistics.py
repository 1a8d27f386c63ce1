"""Statistics on a small set of cases: per officer and month, totals, and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from backend.review.integrity import case_integrity
from backend.review.statistics import statistics, statistics_csv
from tests.integration.ledger.drafts import note
from tests.integration.review.casebook import AGENCY, build_case

MARCH = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
APRIL = datetime(2025, 4, 7, 1, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 1, tzinfo=UTC)


async def test_statistics_count_cases_av_signatures_service_and_exif(projected, blobs, tmp_path):
    ledger = projected
    await build_case(ledger, blobs, tmp_path, at=MARCH)
    await build_case(ledger, blobs, tmp_path, at=MARCH, archived=False, recordings=0, photo=False)
    await build_case(ledger, blobs, tmp_path, officer="officer-wang", at=APRIL)

    report = await statistics(ledger, AGENCY, NOW, ("officer", "month"))

    totals = report["totals"]
    assert totals["cases"] == 3
    assert totals["kind:penalty"] == 3
    assert totals["stage:archive"] == 2 and totals["stage:service"] == 1
    assert totals["av_required"] == 3 and totals["av_recorded"] == 2  # one inspection had no video
    assert report["av_coverage"] == round(2 / 3, 4)
    assert totals["refusals"] == 3  # the party refused to sign each inspection record
    assert totals["service:direct"] == 3 and totals["service_success"] == 3
    assert totals["exif:time_skew"] == 2
    rows = {(r["officer"], r["month"]): r for r in report["rows"]}
    assert rows[("officer-zhang", "2025-03")]["cases"] == 2
    assert rows[("officer-wang", "2025-04")]["cases"] == 1
    assert rows[("officer-wang", "2025-04")]["av_recorded"] == 1

    by_month = await statistics(ledger, AGENCY, NOW, ("month",), month_from="2025-04")
    assert [r["month"] for r in by_month["rows"]] == ["2025-04"]

    text = statistics_csv(report)
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0].keys() >= {"officer", "month", "cases", "av_required", "refusals"}
    assert sum(int(r["cases"]) for r in table) == 3


async def test_a_finished_case_shows_an_intact_integrity_badge(projected, blobs, tmp_path):
    built = await build_case(projected, blobs, tmp_path, at=MARCH)
    badge = await case_integrity(projected, built.case_id)
    assert badge["ok"] and badge["chain_ok"] and badge["inclusion_ok"]
    assert badge["checkpoint_signature_ok"]
    assert badge["last_entry"] == built.entries["archive"].hash
    assert badge["tree_size"] >= badge["entries"]


async def test_months_without_problems_still_show_the_problem_columns_at_zero(
    projected, blobs, tmp_path
):
    await build_case(projected, blobs, tmp_path, at=MARCH)
    report = await statistics(projected, AGENCY, NOW, ("month",))
    # One archived penalty case: no case is at the start stage, none is an inspection.
    assert report["totals"]["stage:start"] == 0 and report["totals"]["kind:inspection"] == 0
    assert all(r["stage:investigation"] == 0 for r in report["rows"])


async def test_the_integrity_badge_tells_a_supervisor_when_time_stamps_stopped(
    projected, blobs, tmp_path
):
    built = await build_case(projected, blobs, tmp_path, at=MARCH)
    assert not (await case_integrity(projected, built.case_id))["timestamp_outage"]
    projected.tsa_url = "http://127.0.0.1:9/tsr"  # configured, but nobody answers there
    await projected.append(note(built.case_id, "再记一笔"))
    await projected.checkpoint()
    badge = await case_integrity(projected, built.case_id)
    assert badge["timestamp_outage"] and badge["ok"]  # the case is intact; the log is less anchored
