"""Zhengxiang §11 (双随机一公开: the draw's objects and inspectors are determined at random): an
officer who sees the draw as soon as the commitment is stored cannot leave it open and draw again in
another case; abandoned and overdue commitments are on the officer's spot-check ledger; and
`casetrail verify` re-runs every draw from the entries, naming a case whose draw does not follow."""

from __future__ import annotations

import re
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

from backend.cases.random_draw import draw_for, seed_commitment
from backend.ledger.entry import Draft
from tests.integration.conftest import signed_in
from tests.integration.ledger.test_cli import casetrail

AGENCY, OTHER = "zhengxiang-hrss", "pingluo-transport"
PLAN = "2026年第一季度劳动用工双随机抽查计划"
POOLS = {
    "method": "执法监督系统随机摇号，纪检人员现场监督",
    "target_pool": ["甲劳务公司", "乙建筑公司", "丙餐饮店", "丁物业公司"],
    "inspector_pool": ["E001", "E002", "E003"],
    "target_count": 1,
    "inspector_count": 2,
}
IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}|[0-9a-f]{32}")


async def open_inspection(client, headers, title: str) -> str:
    body = {
        "client_id": str(uuid.uuid4()),
        "title": title,
        "enforcement_kind": "inspection",
        "start_path": "random_inspection",
        "parties": [{"name": "某用人单位", "kind": "organisation"}],
        "officers": [],
    }
    response = await client.post("/api/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["case_id"]


async def commit(client, headers, case_id: str, seed: str, **extra):
    body = {"client_id": str(uuid.uuid4()), "seed_sha256": seed_commitment(seed), **POOLS, **extra}
    return await client.post(f"/api/cases/{case_id}/random-draw/commit", json=body, headers=headers)


async def commits_on(client, case_id: str) -> list[dict]:
    page = (await client.get(f"/api/cases/{case_id}/timeline?limit=1000")).json()
    return [e for e in page["entries"] if e["kind"] == "record.random_draw_commit"]


async def test_zhengxiang_art11_an_officer_cannot_leave_a_draw_open_and_draw_again_elsewhere(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    first = await open_inspection(app_client, officer, "甲劳务公司用工检查")
    second = await open_inspection(app_client, officer, "乙建筑公司用工检查")
    made = await commit(app_client, officer, first, "第一颗种子", plan=PLAN)
    assert made.status_code == 201, made.text
    assert made.json()["payload"]["plan"] == PLAN

    # Not liking what the first seed draws, the officer opens another case and draws again.
    again = await commit(app_client, officer, second, "第二颗种子", plan=f"  {PLAN} ")
    assert again.status_code == 409, again.text
    refusal = again.json()
    assert refusal["code"] == "draw_commit_open_elsewhere"
    assert "甲劳务公司用工检查" in refusal["message"] and "请先" in refusal["message"]
    assert "reveal" in refusal["message"]
    assert not IDS.search(refusal["message"]), refusal["message"]
    assert first not in refusal["message"] and made.json()["hash"] not in refusal["message"]
    assert await commits_on(app_client, second) == []

    # Without naming a plan is still one plan: an officer's plan-less commitments count together.
    pending = await commit(app_client, officer, first, "x")  # its own case: as before
    assert pending.status_code == 409 and pending.json()["code"] == "draw_commit_pending"
    open_plain = await commit(app_client, officer, second, "无计划种子")
    assert open_plain.status_code == 201, open_plain.text
    third = await open_inspection(app_client, officer, "丙餐饮店用工检查")
    blocked = await commit(app_client, officer, third, "无计划种子二")
    assert blocked.status_code == 409 and "乙建筑公司用工检查" in blocked.json()["message"]

    # A colleague's draw under the same plan is their own; another agency's officer is unaffected.
    colleague = await signed_in(another_client, "officer", AGENCY, name="李执法")
    theirs = await open_inspection(another_client, colleague, "丁物业公司用工检查")
    assert (
        await commit(another_client, colleague, theirs, "同事的种子", plan=PLAN)
    ).status_code == 201
    stranger = await signed_in(another_client, "officer", OTHER, name="外单位")
    foreign = await open_inspection(another_client, stranger, "外单位检查")
    assert (
        await commit(another_client, stranger, foreign, "外单位种子", plan=PLAN)
    ).status_code == 201
    # Nor can another agency's officer touch our commitment through their own case.
    borrowed = await another_client.post(
        f"/api/cases/{foreign}/random-draw/abandon",
        json={
            "client_id": str(uuid.uuid4()),
            "commit_entry": made.json()["hash"],
            "reason": "借用",
        },
        headers=stranger,
    )
    assert borrowed.status_code == 400 and borrowed.json()["code"] == "draw_commit_not_found"

    # Revealing the open draw frees the plan: the next case may draw.
    reveal = await app_client.post(
        f"/api/cases/{first}/random-draw/reveal",
        json={
            "client_id": str(uuid.uuid4()),
            "commit_entry": made.json()["hash"],
            "seed": "第一颗种子",
        },
        headers=officer,
    )
    assert reveal.status_code == 201, reveal.text
    assert (await commit(app_client, officer, third, "第三颗种子", plan=PLAN)).status_code == 201


async def test_zhengxiang_art11_abandoned_and_overdue_draws_are_on_the_officers_spot_check_ledger(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    ledger = app_client.app.state.ledger
    overdue_case = await open_inspection(app_client, officer, "甲劳务公司用工检查")
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    ledger.clock = lambda: two_days_ago
    try:
        left_open = await commit(app_client, officer, overdue_case, "看过就不公布", plan=PLAN)
    finally:
        ledger.clock = lambda: datetime.now(UTC)
    assert left_open.status_code == 201, left_open.text

    # The case itself says so once the day is past, before it moves on.
    case = (await app_client.get(f"/api/cases/{overdue_case}")).json()
    [flag] = [r for r in case["compliance"] if r["id"].startswith("random_draw_reveal:")]
    assert flag["status"] == "missing" and "24小时未公布" in flag["message_zh"]
    assert flag["citation"] == {"file": "zhengxiang-hrss-2017.txt", "article": 11}

    abandon = await app_client.post(
        f"/api/cases/{overdue_case}/random-draw/abandon",
        json={
            "client_id": str(uuid.uuid4()),
            "commit_entry": left_open.json()["hash"],
            "reason": "抽中单位已注销",
        },
        headers=officer,
    )
    assert abandon.status_code == 201, abandon.text
    fresh_case = await open_inspection(app_client, officer, "乙建筑公司用工检查")
    stale = datetime.now(UTC) - timedelta(hours=30)
    ledger.clock = lambda: stale
    try:
        unrevealed = await commit(app_client, officer, fresh_case, "又没有公布", plan=PLAN)
    finally:
        ledger.clock = lambda: datetime.now(UTC)
    assert unrevealed.status_code == 201, unrevealed.text
    in_time_case = await open_inspection(app_client, officer, "丙餐饮店用工检查")
    await commit(app_client, officer, in_time_case, "刚刚承诺", plan="另一计划")

    # An officer does not read the spot-check ledger; the supervisor does, and sees both, in words.
    assert (await app_client.get("/api/review/spot-checks/draws")).status_code == 403
    supervisor = await signed_in(another_client, "supervisor", AGENCY, name="王科长")
    rows = (await another_client.get("/api/review/spot-checks/draws", headers=supervisor)).json()
    by_case = {r["case_title"]: r for r in rows}
    assert set(by_case) == {"甲劳务公司用工检查", "乙建筑公司用工检查"}
    assert by_case["甲劳务公司用工检查"]["status"] == "abandoned"
    assert by_case["甲劳务公司用工检查"]["reason"] == "抽中单位已注销"
    assert by_case["乙建筑公司用工检查"]["status"] == "unrevealed"
    assert {r["officer"] for r in rows} == {officer.staff_id}
    assert all(r["plan"] == PLAN for r in rows)

    # Another agency's supervisor sees none of it.
    theirs = await signed_in(another_client, "supervisor", OTHER)
    assert (await another_client.get("/api/review/spot-checks/draws", headers=theirs)).json() == []


async def test_zhengxiang_art11_verify_recomputes_every_draw_and_names_the_case(
    app_client, settings, tmp_path
):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    ledger = app_client.app.state.ledger
    honest = await open_inspection(app_client, officer, "甲劳务公司用工检查")
    made = await commit(app_client, officer, honest, "诚实的种子", plan=PLAN)
    reveal = await app_client.post(
        f"/api/cases/{honest}/random-draw/reveal",
        json={
            "client_id": str(uuid.uuid4()),
            "commit_entry": made.json()["hash"],
            "seed": "诚实的种子",
        },
        headers=officer,
    )
    assert reveal.status_code == 201, reveal.text
    code, out = await casetrail(settings, "verify")
    assert code == 0, out

    # A reveal written past the draw endpoint: it hashes and chains, but the seed does not draw it.
    shopped = await open_inspection(app_client, officer, "乙建筑公司用工检查")
    planted = await commit(app_client, officer, shopped, "种子", plan="另一计划")
    drawn = draw_for(planted.json()["payload"], "种子", planted.json()["hash"])
    liked = [t for t in POOLS["target_pool"] if t not in drawn.targets][:1]
    fake = await ledger.append(
        Draft(
            shopped,
            "record.random_draw_reveal",
            str(uuid.uuid4()),
            {
                "commit_entry": planted.json()["hash"],
                "seed": "种子",
                "targets": liked,
                "inspectors": drawn.inspectors,
            },
            actor=officer.staff_id,
        )
    )
    code, out = await casetrail(settings, "verify")
    assert code == 1, out
    assert "“乙建筑公司用工检查”" in out and fake.hash in out
    assert "drawn targets differ from the re-computed draw" in out
    assert "甲劳务公司用工检查" not in out

    # Whoever checks a bundle trusts the agency's published key, never the one inside the bundle.
    vkey = tmp_path / "agency.vkey"
    vkey.write_text(ledger.signer.vkey + "\n")
    bundle = tmp_path / "shopped.zip"
    code, out = await casetrail(settings, "export", shopped, "-o", str(bundle))
    assert code == 0, out
    assert zipfile.is_zipfile(bundle)
    code, out = await casetrail(settings, "verify", "--bundle", str(bundle), "--vkey", str(vkey))
    assert code == 1, out
    assert f"case {shopped} “乙建筑公司用工检查”" in out and "re-computed draw" in out
    good = tmp_path / "honest.zip"
    assert (await casetrail(settings, "export", honest, "-o", str(good)))[0] == 0
    code, out = await casetrail(settings, "verify", "--bundle", str(good), "--vkey", str(vkey))
    assert code == 0, out
