"""Statistics on a small set of cases: per officer and month, totals, and the CSV export."""

from __future__ import annotations

import csv
import io
import re
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

    directory = {"staff": [{"staff_id": "officer-wang", "name": "王执法"}], "units": []}
    text = statistics_csv(report, directory)
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    # Column titles and people in words, as a supervisor reads them in a spreadsheet; no codes.
    assert table[0].keys() >= {
        "执法人员",
        "月份",
        "案件数",
        "应音像记录事项",
        "拒绝签名",
        "音像记录覆盖率",
    }
    assert "照片核验：照片时间与拍摄时间不符" in table[0] or any(
        "照片核验：" in k for k in table[0]
    )
    assert not [k for k in table[0] if re.search(r"[a-z_]{3,}", k)]
    assert sum(int(r["案件数"]) for r in table) == 3
    assert {r["执法人员"] for r in table} == {"王执法", "（未登记姓名）"}
    english = list(
        csv.reader(io.StringIO(statistics_csv(report, directory, "en").lstrip("\ufeff")))
    )
    assert english[0][:3] == ["Officer", "Month", "AV coverage"]


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


async def test_a_report_reads_again_only_the_timelines_of_cases_that_changed(
    projected, blobs, tmp_path, monkeypatch
):
    ledger = projected
    await build_case(ledger, blobs, tmp_path, at=MARCH)
    wang = await build_case(ledger, blobs, tmp_path, officer="officer-wang", at=APRIL)
    read: list[list[str]] = []
    whole_timelines = ledger.whole_timelines

    async def reading(case_ids: list[str]):
        read.append(sorted(case_ids))
        return await whole_timelines(case_ids)

    monkeypatch.setattr(ledger, "whole_timelines", reading)
    first = await statistics(ledger, AGENCY, NOW)
    assert len(read[-1]) == 2
    # Asked again (on this server or another): the kept facts answer, no timeline is read.
    assert await statistics(ledger, AGENCY, NOW) == first
    assert read[-1] == []
    # A new record on one case: only that case is read again, and the report counts it.
    await ledger.append(note(wang.case_id, "补充检查记录", actor="officer-wang"))
    again = await statistics(ledger, AGENCY, NOW)
    assert read[-1] == [wang.case_id]
    assert again == await statistics_from_scratch(ledger, NOW)
    # An hour on, deadlines may have passed: every case is weighed again.
    await statistics(ledger, AGENCY, NOW.replace(hour=1))
    assert len(read[-1]) == 2


async def statistics_from_scratch(ledger, now):
    from backend.review.tables import CaseStatFacts

    await CaseStatFacts.delete(force=True)
    return await statistics(ledger, AGENCY, now)
