"""A form the server refuses says why in the officer's words: the field's Chinese title, not a JSON path."""

from __future__ import annotations

import uuid

from backend.ledger.tables import LedgerEntry
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER, open_case


async def entries_of(case_id: str) -> int:
    return await LedgerEntry.count().where(LedgerEntry.case_id == case_id)


async def test_a_case_with_an_empty_party_name_is_refused_naming_the_field_in_chinese(app_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张执法")
    case_id = str(uuid.uuid4())
    refused = await app_client.post(
        "/api/cases",
        json={
            "client_id": str(uuid.uuid4()),
            "case_id": case_id,
            "title": "某餐馆未按时足额支付工资案",
            "enforcement_kind": "penalty",
            "procedure": "general",
            "start_path": "ex_officio",
            "parties": [{"name": "", "kind": "person"}],
        },
        headers=officer,
    )
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["code"] == "schema_violation"
    assert body["message"] == "「当事人第1项 · 姓名或名称」不能为空"
    assert "parties" not in body["message"] and "shorter" not in body["message"]
    # Developers still find the path and the validator's own words.
    assert body["detail"][0]["path"] == "parties/0/name"
    assert body["detail"][0]["field"] == "当事人第1项 · 姓名或名称"
    assert await entries_of(case_id) == 0
    listed = (await app_client.get("/api/cases")).json()
    assert case_id not in str(listed)


async def test_a_right_typed_as_free_text_is_refused_as_not_one_of_the_choices(app_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="李执法")
    case_id = await open_case(app_client, officer)
    before = await entries_of(case_id)
    refused = await app_client.post(
        f"/api/cases/{case_id}/entries",
        json={
            "kind": "record.rights_notice",
            "client_id": str(uuid.uuid4()),
            "payload": {"rights": ["陈述"], "deadline_days": -1},
        },
        headers=officer,
    )
    assert refused.status_code == 400, refused.text
    message = refused.json()["message"]
    assert "「告知的权利第1项」只能从列表中选择" in message
    assert "请填写「告知方式」" in message
    assert "「陈述申辩期限（日）」不能小于 0" in message
    assert await entries_of(case_id) == before


async def test_another_agency_learns_nothing_about_a_case_from_its_form_errors(
    app_client, another_client
):
    owner = await signed_in(app_client, "officer", AGENCY, name="王执法")
    case_id = await open_case(app_client, owner)
    before = await entries_of(case_id)
    intruder = await signed_in(another_client, "officer", OTHER, name="外单位")
    tried = await another_client.post(
        f"/api/cases/{case_id}/entries",
        json={"kind": "record.rights_notice", "client_id": str(uuid.uuid4()), "payload": {}},
        headers=intruder,
    )
    assert tried.status_code in (403, 404), tried.text
    assert tried.json()["code"] != "schema_violation"
    assert await entries_of(case_id) == before
