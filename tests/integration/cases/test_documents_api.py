"""An officer makes the decision letter in the app, an approver signs it, and nobody else can touch it."""

from __future__ import annotations

import uuid

from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER, log_size, open_case, sign

DECISION = {
    "party": "某劳务公司",
    "facts_and_evidence": "经查，该公司拖欠十二名劳动者工资。",
    "legal_basis": "《劳动保障监察条例》第二十六条",
    "outcome": "责令支付拖欠工资",
    "remedies": "可在六十日内申请行政复议。",
    "agency_name": "衡阳市蒸湘区人力资源和社会保障局",
    "decided_on": "2025-03-10",
}


async def record_decision(client, headers, case_id) -> dict:
    made = await client.post(
        f"/api/cases/{case_id}/entries",
        json={"kind": "record.decision", "client_id": str(uuid.uuid4()), "payload": DECISION},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return made.json()


async def generate(client, headers, case_id, renders, kind="decision_letter"):
    return await client.post(
        f"/api/cases/{case_id}/documents",
        json={"client_id": str(uuid.uuid4()), "document_kind": kind, "renders": renders},
        headers=headers,
    )


async def test_an_officer_generates_the_decision_letter_and_an_approver_signs_it(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    head = await signed_in(another_client, "approver", AGENCY, name="周局长")
    case_id = await open_case(app_client, officer)
    decision = await record_decision(app_client, officer, case_id)

    made = await generate(app_client, officer, case_id, decision["hash"])

    assert made.status_code == 201, made.text
    letter = made.json()
    assert letter["payload"]["title"] == "行政处罚决定书"
    pdf = await app_client.get(f"/api/cases/{case_id}/documents/{letter['blobs'][0]}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    approved = await sign(another_client, head, head.authenticator, letter["hash"], "approve")
    assert approved.status_code == 201, approved.text
    state = (await app_client.get(f"/api/cases/{case_id}", headers=officer)).json()
    [step] = [r for r in state["compliance"] if r["id"] == "step:head_approval"]
    assert step["status"] == "met" and step["approval"]["by"] == head.staff_id


async def test_an_officer_cannot_approve_the_letter(app_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    case_id = await open_case(app_client, officer)
    decision = await record_decision(app_client, officer, case_id)
    letter = (await generate(app_client, officer, case_id, decision["hash"])).json()
    before = await log_size(app_client)
    refused = await sign(app_client, officer, officer.authenticator, letter["hash"], "approve")
    assert (refused.status_code, refused.json()["code"]) == (403, "role_required")
    assert await log_size(app_client) == before


async def test_another_agency_cannot_generate_or_download_our_documents(app_client, another_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    outsider = await signed_in(another_client, "officer", OTHER, name="外局王")
    case_id = await open_case(app_client, officer)
    decision = await record_decision(app_client, officer, case_id)
    letter = (await generate(app_client, officer, case_id, decision["hash"])).json()
    before = await log_size(app_client)

    made = await generate(another_client, outsider, case_id, decision["hash"])
    got = await another_client.get(f"/api/cases/{case_id}/documents/{letter['blobs'][0]}")

    assert made.status_code in (403, 404) and got.status_code in (403, 404)
    assert await log_size(app_client) == before


async def test_a_document_cannot_render_another_cases_record(app_client, another_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    outsider = await signed_in(another_client, "officer", OTHER, name="外局王")
    mine = await open_case(app_client, officer)
    theirs = await open_case(another_client, outsider, title="某车辆超限运输案")
    their_decision = await record_decision(another_client, outsider, theirs)
    before = await log_size(app_client)

    made = await generate(app_client, officer, mine, their_decision["hash"])

    assert (made.status_code, made.json()["code"]) == (400, "document_source_not_found")
    assert await log_size(app_client) == before


async def test_a_colleague_not_on_the_case_cannot_generate_its_documents(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    stranger = await signed_in(another_client, "officer", AGENCY, name="王")
    case_id = await open_case(app_client, officer)
    decision = await record_decision(app_client, officer, case_id)
    before = await log_size(app_client)
    made = await generate(another_client, stranger, case_id, decision["hash"])
    assert made.status_code == 403
    assert await log_size(app_client) == before


async def test_the_case_lists_the_documents_its_pack_offers_and_the_approvers_decision(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    head = await signed_in(another_client, "approver", AGENCY, name="周局长")
    case_id = await open_case(app_client, officer)
    decision = await record_decision(app_client, officer, case_id)
    letter = (await generate(app_client, officer, case_id, decision["hash"])).json()
    await sign(another_client, head, head.authenticator, letter["hash"], "approve")

    offers = await app_client.get(f"/api/cases/{case_id}/documents", headers=officer)

    assert offers.status_code == 200, offers.text
    by_kind = {o["document_kind"]: o for o in offers.json()}
    assert by_kind["decision_letter"]["title_zh"] == "行政处罚决定书"
    assert by_kind["decision_letter"]["approval_required"] is True
    assert [r["hash"] for r in by_kind["decision_letter"]["records"]] == [decision["hash"]]
    [made] = by_kind["decision_letter"]["documents"]
    assert made["hash"] == letter["hash"] and made["approval"]["decision"] == "approved"
    assert made["approval"]["by"] == head.staff_id
    assert by_kind["rights_notice"]["records"] == [] and by_kind["rights_notice"]["documents"] == []


async def test_another_agency_cannot_list_our_documents(app_client, another_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    outsider = await signed_in(another_client, "officer", OTHER, name="外局王")
    case_id = await open_case(app_client, officer)
    listed = await another_client.get(f"/api/cases/{case_id}/documents", headers=outsider)
    assert listed.status_code in (403, 404)


async def test_the_officer_previews_what_the_letter_says_before_serving_it(app_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    case_id = await open_case(app_client, officer)
    decision = await record_decision(app_client, officer, case_id)
    await generate(app_client, officer, case_id, decision["hash"])
    offers = (await app_client.get(f"/api/cases/{case_id}/documents", headers=officer)).json()
    [made] = next(o for o in offers if o["document_kind"] == "decision_letter")["documents"]
    preview = made["preview"]
    assert preview["title"] == "行政处罚决定书" and preview["dated"] == "2025年3月10日"
    assert ["处罚结果", "责令支付拖欠工资"] in preview["lines"] or any(
        value == "责令支付拖欠工资" for _, value in preview["lines"]
    )
