"""What the supervisor's desk shows, through the HTTP API: an approval with the record in words and
its photos, the case's places (on the agency's map service when one is set), statistics as charts
and a spreadsheet in words, and the month's spot-check sample drawn without typing a month.
Each is refused to officers and to another agency's supervisors."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from backend.ledger.entry import Draft
from tests.integration.conftest import signed_in
from tests.integration.review.casebook import AGENCY, build_case, claimed, png_bytes, store

OTHER = "hebei-hrss"
TILES = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b(?:record|media|stage|kind)[.:][a-z_]+")


@pytest.fixture
def settings(settings):
    """This agency has a map service: the case map is drawn on its tiles."""
    return replace(settings, map_tile_url=TILES)


async def proposal_with_photo(ledger, blobs, tmp_path):
    built = await build_case(ledger, blobs, tmp_path, archived=False, at=datetime.now(UTC))
    proposal = await ledger.append(Draft(
        case_id=built.case_id, kind="record.handler_proposal", client_id=f"p-{built.case_id}",
        payload={"facts": "车货总重62吨，超限13吨", "legal_basis": "《公路法》第七十六条",
                 "proposal": "罚款三万元", "drafter": "张执法", "pages": 2},
        actor="officer-zhang", claimed=claimed(datetime.now(UTC)),
    ))  # fmt: skip
    image = png_bytes((20, 120, 40))
    sha = await store(blobs, image, tmp_path)
    await ledger.append(Draft(
        case_id=built.case_id, kind="media.photo", client_id=f"ph-{built.case_id}",
        payload={"sha256": sha, "media_type": "image/png", "size": len(image),
                 "for_entry": proposal.hash, "caption": "称重单", "findings": []},
        actor="officer-zhang", claimed=claimed(datetime.now(UTC)), blobs=(sha,),
    ))  # fmt: skip
    return built, proposal, sha


async def test_an_approver_sees_the_record_in_words_its_photo_and_the_cases_compliance(
    app_client, another_client, tmp_path
):
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    built, proposal, photo = await proposal_with_photo(ledger, blobs, tmp_path)
    approver = await signed_in(app_client, "approver", AGENCY, name="李审批")

    waiting = (await app_client.get("/api/review/approvals", headers=approver)).json()
    assert proposal.hash in {w["entry_hash"] for w in waiting}
    answer = await app_client.get(f"/api/review/approvals/{proposal.hash}", headers=approver)
    assert answer.status_code == 200, answer.text
    item = answer.json()
    fields = {f["title_zh"]: f["text_zh"] for f in item["fields"]}
    assert fields == {"事实认定": "车货总重62吨，超限13吨", "法律依据": "《公路法》第七十六条",
                      "拟处理意见": "罚款三万元", "起草人": "张执法", "页数": "2"}  # fmt: skip
    assert [f["title_en"] for f in item["fields"]][0] != "事实认定"
    related = [m for m in item["media"] if m["related"]]
    assert [(m["sha256"], m["caption"]) for m in related] == [(photo, "称重单")]
    assert {m["kind"] for m in item["media"]} >= {"media.video", "media.photo"}
    assert item["case"]["title"] == "某运输公司超限运输案"
    assert set(item["case"]["counts"]) >= {"met", "missing", "late"}
    assert item["decided"] is False and item["decisions"] == []
    # Seeing it is on the case's record, as any view is.
    timeline = (await app_client.get(f"/api/cases/{built.case_id}/timeline?limit=1000")).json()
    assert any(
        e["kind"] == "access.viewed" and e["payload"].get("what") == proposal.hash
        for e in timeline["entries"]
    )
    # The photo the approver is shown is one they may open.
    assert (await app_client.get(f"/api/blobs/{photo}?variant=thumbnail")).status_code == 200


async def test_nobody_outside_the_agency_reads_an_approval_and_only_approvals_are_items(
    app_client, another_client, tmp_path
):
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    built, proposal, _ = await proposal_with_photo(ledger, blobs, tmp_path)
    stranger = await signed_in(another_client, "approver", OTHER)
    before = (await another_client.get("/api/log/checkpoint")).json()["size"]
    borrowed = await another_client.get(f"/api/review/approvals/{proposal.hash}", headers=stranger)
    assert borrowed.status_code == 404 and borrowed.json()["code"] == "approval_not_found"
    assert "fields" not in borrowed.json()
    officer = await signed_in(app_client, "officer", AGENCY)
    refused = await app_client.get(f"/api/review/approvals/{proposal.hash}", headers=officer)
    assert refused.status_code == 403
    supervisor = await signed_in(app_client, "supervisor", AGENCY)
    inspection = built.entries["inspection"].hash
    for bad in (inspection, "0" * 64, "not-a-hash", proposal.hash.upper()):
        answer = await app_client.get(f"/api/review/approvals/{bad}", headers=supervisor)
        assert answer.status_code == 404, (bad, answer.text)
    timeline = (await app_client.get(f"/api/cases/{built.case_id}/timeline?limit=1000")).json()
    assert not any(e["actor"] == stranger.staff_id for e in timeline["entries"])
    assert before <= (await another_client.get("/api/log/checkpoint")).json()["size"]


async def test_a_cases_places_come_with_times_and_the_agencys_map_service_which_pages_may_load(
    app_client, another_client, tmp_path
):
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    built = await build_case(ledger, blobs, tmp_path, archived=False)
    supervisor = await signed_in(app_client, "supervisor", AGENCY)
    answer = await app_client.get(f"/api/cases/{built.case_id}/places", headers=supervisor)
    assert answer.status_code == 200, answer.text
    places = answer.json()
    assert places["tiles"] == TILES
    assert len(places["places"]) >= 3
    first = places["places"][0]
    assert (first["lat"], first["lon"], first["accuracy_m"]) == (38.9, 106.5, 8.0)
    assert first["time"].startswith("2025-03-03")
    assert [p["seq"] for p in places["places"]] == sorted(p["seq"] for p in places["places"])

    page = await app_client.get("/")
    policy = page.headers["content-security-policy"]
    images = next(d for d in policy.split(";") if d.strip().startswith("img-src")).split()
    assert "https://tiles.example.gov.cn" in images
    # Only images: scripts, styles and connections stay our own.
    for name in ("script-src", "style-src", "connect-src", "default-src"):
        directive = next(d for d in policy.split(";") if d.strip().startswith(name))
        assert "tiles.example" not in directive

    stranger = await signed_in(another_client, "supervisor", OTHER)
    refused = await another_client.get(f"/api/cases/{built.case_id}/places", headers=stranger)
    assert refused.status_code in (403, 404)
    assert "places" not in refused.json()


def test_a_map_service_that_could_widen_the_policy_stops_the_start():
    from backend.settings import Settings

    for bad in ("https://t.example/{z}/{x}/{y}.png; script-src *", "ftp://t.example/{z}/{x}/{y}",
                "https://t.example/tiles.png", "https://t.example/{z}/{x}/{y}.png 'unsafe-inline'"):  # fmt: skip
        with pytest.raises(ValueError, match="CASETRAIL_MAP_TILE_URL"):
            Settings.from_env({"CASETRAIL_MAP_TILE_URL": bad, "CASETRAIL_DATA_DIR": "/tmp/x"})
    plain = Settings.from_env({"CASETRAIL_DATA_DIR": "/tmp/x"})
    assert plain.map_tile_url == "" and plain.map_tile_origin == ""


async def test_statistics_come_as_svg_charts_and_a_spreadsheet_in_words(
    app_client, another_client, tmp_path
):
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    from backend.identity.staff import create_staff

    await create_staff("officer-zhang", AGENCY, "张执法", ["officer"], unit_id="执法一大队")
    await build_case(ledger, blobs, tmp_path, at=datetime(2025, 3, 3, tzinfo=UTC))
    await signed_in(app_client, "supervisor", AGENCY)

    chart = await app_client.get(
        "/api/review/statistics/chart", params={"metric": "late_uploads", "group_by": "officer"}
    )
    assert chart.status_code == 200, chart.text
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.headers["content-security-policy"] == "sandbox"
    svg = chart.text
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
    assert "逾期上传" in svg and "张执法" in svg and "officer-zhang" not in svg
    english = await app_client.get(
        "/api/review/statistics/chart", params={"metric": "cases", "lang": "en"}
    )
    assert "Cases" in english.text
    bad = await app_client.get("/api/review/statistics/chart", params={"metric": "no_exif"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_metric"

    sheet = await app_client.get(
        "/api/review/statistics", params={"group_by": "unit,officer,month", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(sheet.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["部门", "执法人员", "月份", "音像记录覆盖率"]
    assert not [t for t in rows[0] if RAW_CODE.search(t)], rows[0]
    assert rows[1][:3] == ["执法一大队", "张执法", "2025-03"]
    report = (await app_client.get("/api/review/statistics")).json()
    assert report["titles"]["late_uploads"] == "逾期上传"
    assert report["titles"]["stage:service"] == "阶段：送达"

    officer = await signed_in(another_client, "officer", AGENCY)
    assert (await another_client.get("/api/review/statistics/chart")).status_code == 403
    stranger = await signed_in(another_client, "supervisor", OTHER)
    theirs = await another_client.get("/api/review/statistics/chart", params={"metric": "cases"})
    assert theirs.status_code == 200 and "张执法" not in theirs.text
    assert officer.staff_id and stranger.staff_id


async def test_a_supervisor_draws_this_months_sample_without_typing_the_month_and_results_count(
    app_client, tmp_path
):
    ledger, blobs = app_client.app.state.ledger, app_client.app.state.blobs
    now = datetime.now(UTC)
    await build_case(ledger, blobs, tmp_path, at=now - timedelta(minutes=5), recordings=2)
    supervisor = await signed_in(app_client, "supervisor", AGENCY)
    draws = await app_client.post("/api/review/spot-checks/draw", json={}, headers=supervisor)
    assert draws.status_code == 201, draws.text
    assert {d["payload"]["period"] for d in draws.json()} == {now.strftime("%Y-%m")}
    item = draws.json()[0]["payload"]["items"][0]
    finding = await app_client.post(
        "/api/review/spot-checks/findings",
        json={"client_id": "f-now", "draw": draws.json()[0]["hash"], "entry_hash": item["entry_hash"],
              "outcome": "deficient", "checks": {"start_statement": False}, "notes": "未告知"},
        headers=supervisor,
    )  # fmt: skip
    assert finding.status_code == 201, finding.text
    report = (await app_client.get("/api/review/statistics?group_by=month")).json()
    assert report["totals"]["spot_checked"] == 1 and report["totals"]["spot_deficient"] == 1
    assert report["titles"]["spot_deficient"] == "抽查存在问题"
