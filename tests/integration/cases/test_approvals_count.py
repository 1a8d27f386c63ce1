"""Approvals, refusals and attestations given with passkeys count in compliance (issue 15)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.integration.conftest import signed_in
from tests.integration.identity.people import log_size, sign

ZHENGXIANG, PINGLUO = "zhengxiang-hrss", "pingluo-transport"
PROPOSAL = {
    "facts": "违规动火作业",
    "legal_basis": "安全生产法",
    "proposal": "罚款",
    "drafter": "张",
}


async def open_case(client, headers, start_path="ex_officio", officers=()) -> str:
    response = await client.post(
        "/api/cases",
        json={
            "client_id": str(uuid.uuid4()),
            "title": "某公司欠薪群体事件",
            "enforcement_kind": "penalty",
            "start_path": start_path,
            "officers": list(officers),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["case_id"]


async def record(client, headers, case_id, kind, payload) -> dict:
    response = await client.post(
        f"/api/cases/{case_id}/entries",
        json={"kind": kind, "client_id": str(uuid.uuid4()), "payload": payload},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def requirement(client, case_id, prefix) -> dict:
    case = (await client.get(f"/api/cases/{case_id}")).json()
    [req] = [r for r in case["compliance"] if r["id"].startswith(prefix)]
    return req


async def queue(client) -> set[str]:
    return {i["entry_hash"] for i in (await client.get("/api/review/approvals")).json()}


async def emergency_start(client, officer) -> tuple[str, dict]:
    case_id = await open_case(client, officer, start_path="emergency")
    started = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    start = await record(
        client, officer, case_id, "record.emergency_start",
        {"reason": "欠薪引发群体性事件", "started_at": started},
    )  # fmt: skip
    return case_id, start


async def test_zhengxiang_12_emergency_start_approved_by_passkey_counts(app_client, another_client):
    officer = await signed_in(another_client, "officer", ZHENGXIANG)
    case_id, start = await emergency_start(another_client, officer)
    assert (await requirement(another_client, case_id, "emergency_approval:"))["status"] == "due"
    head = await signed_in(app_client, "approver", ZHENGXIANG, name="王局长")
    assert start["hash"] in await queue(app_client)
    signed = await sign(app_client, head, head.authenticator, start["hash"], "approve")
    assert signed.status_code == 201, signed.text
    req = await requirement(another_client, case_id, "emergency_approval:")
    assert req["status"] == "met"
    assert req["approval"]["by"] == head.staff_id and req["approval"]["how"] == "passkey"
    assert req["approval"]["entry_hash"] == signed.json()["hash"]
    assert start["hash"] not in await queue(app_client)


async def test_zhengxiang_12_another_agencys_approver_cannot_approve_it(app_client, another_client):
    officer = await signed_in(another_client, "officer", ZHENGXIANG)
    case_id, start = await emergency_start(another_client, officer)
    stranger = await signed_in(app_client, "approver", PINGLUO)
    size = await log_size(app_client)
    options = await app_client.post(
        f"/api/entries/{start['hash']}/signatures/options",
        json={"meaning": "approve"},
        headers=stranger,
    )
    assert options.status_code in (403, 404)
    assert await log_size(app_client) == size
    assert (await requirement(another_client, case_id, "emergency_approval:"))["status"] == "due"


async def test_zhengxiang_12_an_officers_co_signature_neither_approves_nor_empties_the_queue(
    app_client, another_client
):
    officer = await signed_in(another_client, "officer", ZHENGXIANG)
    case_id, start = await emergency_start(another_client, officer)
    co = await sign(another_client, officer, officer.authenticator, start["hash"], "co_sign")
    assert co.status_code == 201, co.text
    await signed_in(app_client, "approver", ZHENGXIANG)
    assert start["hash"] in await queue(app_client)
    assert (await requirement(another_client, case_id, "emergency_approval:"))["status"] == "due"


async def test_zhengxiang_12_a_refusal_needs_a_reason_and_is_final(app_client, another_client):
    officer = await signed_in(another_client, "officer", ZHENGXIANG)
    case_id, start = await emergency_start(another_client, officer)
    head = await signed_in(app_client, "approver", ZHENGXIANG, name="王局长")
    size = await log_size(app_client)
    bare = await sign(app_client, head, head.authenticator, start["hash"], "refuse")
    assert bare.status_code == 400 and bare.json()["code"] == "reason_required"
    assert await log_size(app_client) == size
    refused = await sign(
        app_client, head, head.authenticator, start["hash"], "refuse", comment="不属于紧急情形"
    )
    assert refused.status_code == 201, refused.text
    assert start["hash"] not in await queue(app_client)
    req = await requirement(another_client, case_id, "emergency_approval:")
    assert req["status"] == "refused" and "不属于紧急情形" in req["message_zh"]
    assert req["approval"]["decision"] == "refused"
    # The officer may not refuse (or return) anything: the role is checked when signing.
    own = await sign(
        another_client, officer, officer.authenticator, start["hash"], "return", comment="x"
    )
    assert own.status_code == 403 and own.json()["code"] == "role_required"


async def test_mingshan_19_a_returned_proposal_is_back_with_the_officer(app_client, another_client):
    officer = await signed_in(another_client, "officer", "mingshan-emergency")
    case_id = await open_case(another_client, officer)
    proposal = await record(another_client, officer, case_id, "record.handler_proposal", PROPOSAL)
    head = await signed_in(app_client, "approver", "mingshan-emergency")
    returned = await sign(
        app_client, head, head.authenticator, proposal["hash"], "return", comment="请补充证据"
    )
    assert returned.status_code == 201, returned.text
    assert proposal["hash"] not in await queue(app_client)
    req = await requirement(another_client, case_id, "approval:")
    assert req["status"] == "missing" and "请补充证据" in req["message_zh"]


async def test_pingluo_14_two_officers_attest_a_refusal_with_passkeys(app_client, another_client):
    first = await signed_in(app_client, "officer", PINGLUO, name="张")
    second = await signed_in(another_client, "officer", PINGLUO, name="李")
    case_id = await open_case(app_client, first, officers=[second.staff_id])
    refused = {"role": "party", "name": "王某", "method": "refused", "refusal_reason": "拒绝签字"}
    inquiry = await record(
        app_client, first, case_id, "record.inquiry",
        {"person": "王某", "transcript": "……", "signatures": [refused]},
    )  # fmt: skip
    req = await requirement(app_client, case_id, "signatures:")
    assert req["status"] == "missing" and "见证人" not in req["message_zh"]
    phone = first.authenticator
    phone.credentials.update(second.authenticator.credentials)
    for who in (first, second):
        attested = await sign(
            app_client, first, phone, inquiry["hash"], "attest_refusal", who.credential_id
        )
        assert attested.status_code == 201, attested.text
    req = await requirement(app_client, case_id, "signatures:")
    assert req["status"] == "met", req
    assert req["citation"]["article"] == 14 or req["citation"]["file"].startswith("pingluo")
