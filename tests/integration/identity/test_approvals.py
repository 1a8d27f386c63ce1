"""Only the agency's approvers approve: a head's approval, or a fix of one, from anyone else is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from backend.cases.random_draw import seed_commitment
from backend.ledger.tables import LedgerEntry
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def post(client, headers, case_id: str, kind: str, payload: dict, **envelope):
    body = {"kind": kind, "client_id": str(uuid.uuid4()), "payload": payload, **envelope}
    return await client.post(f"/api/cases/{case_id}/entries", json=body, headers=headers)


async def open_case(client, headers, **fields) -> str:
    body = {
        "client_id": str(uuid.uuid4()),
        "title": "某公司拖欠工资案",
        "enforcement_kind": "penalty",
    }
    response = await client.post("/api/cases", json={**body, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["case_id"]


async def compliance(client, case_id: str) -> dict[str, dict]:
    response = await client.get(f"/api/cases/{case_id}")
    assert response.status_code == 200, response.text
    return {r["id"]: r for r in response.json()["compliance"]}


async def entry_count(case_id: str) -> int:
    rows = await LedgerEntry.raw(
        "SELECT COUNT(*) AS n FROM ledger_entry WHERE case_id = {} AND kind NOT LIKE 'access.%'",
        case_id,
    )
    return rows[0]["n"]


HEAD_SAYS_YES = {"approved": True, "head_name": "周局长", "opinion": "同意"}


async def test_an_officer_on_the_case_cannot_approve_and_the_approval_stays_missing(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    case_id = await open_case(app_client, officer)
    moved = await post(app_client, officer, case_id, "case.stage", {"stage": "service"})
    assert moved.status_code == 201, moved.text
    assert (await compliance(app_client, case_id))["step:head_approval"]["status"] == "missing"
    before = await entry_count(case_id)

    forged = await post(app_client, officer, case_id, "record.head_approval", HEAD_SAYS_YES)

    assert forged.status_code == 403, forged.text
    assert forged.json()["code"] == "not_approver"
    assert await entry_count(case_id) == before
    assert (await compliance(app_client, case_id))["step:head_approval"]["status"] == "missing"

    # The agency's approver is not on the case's team, and approves all the same.
    head = await signed_in(another_client, "approver", AGENCY, name="周局长")
    approved = await post(another_client, head, case_id, "record.head_approval", HEAD_SAYS_YES)
    assert approved.status_code == 201, approved.text
    assert (await compliance(app_client, case_id))["step:head_approval"]["status"] == "met"


async def test_an_approver_of_another_agency_cannot_approve(app_client, another_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    case_id = await open_case(app_client, officer)
    before = await entry_count(case_id)
    stranger = await signed_in(another_client, "approver", OTHER, name="外单位局长")

    refused = await post(another_client, stranger, case_id, "record.head_approval", HEAD_SAYS_YES)

    assert refused.status_code == 403 and refused.json()["code"] == "other_agency"
    assert await entry_count(case_id) == before


async def test_an_officer_cannot_turn_the_heads_refusal_into_an_approval(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    case_id = await open_case(app_client, officer, start_path="emergency")
    start = await post(
        app_client,
        officer,
        case_id,
        "record.emergency_start",
        {
            "reason": "工地围堵，需当场处置",
            "started_at": iso(datetime.now(UTC) - timedelta(days=2)),
        },
    )
    assert start.status_code == 201, start.text
    head = await signed_in(another_client, "approver", AGENCY, name="周局长")
    refusal = await post(
        another_client,
        head,
        case_id,
        "record.head_approval",
        {
            "approved": False,
            "head_name": "周局长",
            "approves": start.json()["hash"],
            "approves_kind": "record.emergency_start",
        },
    )
    assert refusal.status_code == 201, refusal.text
    rid = f"emergency_approval:{start.json()['hash']}"
    assert (await compliance(app_client, case_id))[rid]["status"] == "refused"
    before = await entry_count(case_id)
    fix = {"hash": refusal.json()["hash"], "reason": "笔误"}

    turned = await post(
        app_client,
        officer,
        case_id,
        "record.head_approval",
        {**refusal.json()["payload"], "approved": True},
        corrects=fix,
    )
    assert turned.status_code == 403 and turned.json()["code"] == "not_approver"
    # Nor by leaving the head's fields out: the correction replaces the head's decision.
    wiped = await post(
        app_client, officer, case_id, "record.head_approval", {"pages": 1}, corrects=fix
    )
    assert wiped.status_code == 403 and wiped.json()["code"] == "not_approver"
    # Nor by correcting it with a record of another kind.
    noted = await post(app_client, officer, case_id, "note", {"text": "已批准"}, corrects=fix)
    assert noted.status_code == 400 and noted.json()["code"] == "bad_correction"
    assert await entry_count(case_id) == before
    assert (await compliance(app_client, case_id))[rid]["status"] == "refused"

    # The head changing their own mind is a correction they may make.
    changed = await post(
        another_client,
        head,
        case_id,
        "record.head_approval",
        {**refusal.json()["payload"], "approved": True},
        corrects=fix,
    )
    assert changed.status_code == 201, changed.text
    assert (await compliance(app_client, case_id))[rid]["status"] in ("met", "late")


async def test_the_heads_part_of_the_case_opening_form_is_the_approvers(app_client, another_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    case_id = await open_case(app_client, officer)
    handler_part = {"reason": "劳动者投诉拖欠工资", "handler_opinion": "建议立案"}
    form = await post(app_client, officer, case_id, "record.case_opening_approval", handler_part)
    assert form.status_code == 201, form.text

    signed_off = {
        **handler_part,
        "head_opinion": "同意立案",
        "head_name": "周局长",
        "approved": True,
    }
    forged = await post(app_client, officer, case_id, "record.case_opening_approval", signed_off)
    assert forged.status_code == 403 and forged.json()["code"] == "not_approver"

    head = await signed_in(another_client, "approver", AGENCY, name="周局长")
    fix = {"hash": form.json()["hash"], "reason": "负责人审批"}
    approved = await post(
        another_client, head, case_id, "record.case_opening_approval", signed_off, corrects=fix
    )
    assert approved.status_code == 201, approved.text
    # Once approved, the handler cannot change the form behind the head's back, even via the original.
    edited = await post(
        app_client,
        officer,
        case_id,
        "record.case_opening_approval",
        {**handler_part, "reason": "改写的理由"},
        corrects=fix,
    )
    assert edited.status_code == 403 and edited.json()["code"] == "not_approver"


async def test_a_note_cannot_correct_the_random_draws_reveal(app_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    case_id = await open_case(
        app_client, officer, enforcement_kind="inspection", start_path="random_inspection"
    )
    seed = "一次性随机种子-42"
    commit = await app_client.post(
        f"/api/cases/{case_id}/random-draw/commit",
        json={
            "client_id": str(uuid.uuid4()),
            "seed_sha256": seed_commitment(seed),
            "method": "随机摇号",
            "target_pool": ["甲公司", "乙公司", "丙公司"],
            "inspector_pool": ["E001", "E002"],
            "target_count": 1,
            "inspector_count": 1,
        },
        headers=officer,
    )
    assert commit.status_code == 201, commit.text
    reveal = await app_client.post(
        f"/api/cases/{case_id}/random-draw/reveal",
        json={"client_id": str(uuid.uuid4()), "commit_entry": commit.json()["hash"], "seed": seed},
        headers=officer,
    )
    assert reveal.status_code == 201, reveal.text
    before = await entry_count(case_id)

    spoiled = await post(
        app_client,
        officer,
        case_id,
        "note",
        {"text": "抽取结果作废"},
        corrects={"hash": reveal.json()["hash"], "reason": "重新抽取"},
    )

    assert spoiled.status_code == 400 and spoiled.json()["code"] == "bad_correction"
    assert await entry_count(case_id) == before
    drawn = (await compliance(app_client, case_id))[f"random_draw_reveal:{commit.json()['hash']}"]
    assert drawn["status"] == "met", drawn
