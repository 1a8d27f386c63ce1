"""A case id is opened once, by one agency, for good: opening it again never joins or reshapes it."""

from __future__ import annotations

import uuid

from backend.ledger.tables import LedgerEntry
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER


def opening(case_id: str | None = None, client_id: str | None = None, **fields) -> dict:
    return {
        "client_id": client_id or str(uuid.uuid4()),
        "title": "某公司未按时足额支付工资案",
        "enforcement_kind": "penalty",
        "procedure": "general",
        "start_path": "ex_officio",
        "parties": [{"name": "王某"}],
        **({"case_id": case_id} if case_id else {}),
        **fields,
    }


async def chain_of(case_id: str) -> list[tuple[str, str]]:
    """What the case's own chain holds (views are logged elsewhere too, so they are left out)."""
    rows = await LedgerEntry.raw(
        "SELECT kind, hash FROM ledger_entry WHERE case_id = {} AND kind NOT LIKE 'access.%' "
        "ORDER BY seq",
        case_id,
    )
    return [(r["kind"], r["hash"]) for r in rows]


async def test_an_officer_of_another_agency_cannot_join_a_case_by_opening_its_id(
    app_client, another_client
):
    owner = await signed_in(app_client, "officer", AGENCY, name="张执法")
    opened = await app_client.post("/api/cases", json=opening(), headers=owner)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    before = await chain_of(case_id)
    facts_before = (await app_client.get(f"/api/cases/{case_id}")).json()

    intruder = await signed_in(another_client, "officer", OTHER, name="外单位")
    hijack = await another_client.post(
        "/api/cases",
        json=opening(
            case_id,
            title="冒名立案",
            procedure="simplified",
            start_path="complaint",
            parties=[{"name": "李某"}],
        ),
        headers=intruder,
    )

    assert hijack.status_code == 409, hijack.text
    assert hijack.json()["code"] == "case_exists"
    assert await chain_of(case_id) == before
    members = await app_client.get(f"/api/cases/{case_id}/members")
    assert intruder.staff_id not in {m["staff_id"] for m in members.json()}
    refused = await another_client.get(f"/api/cases/{case_id}/timeline")
    assert refused.status_code == 403 and refused.json()["code"] == "other_agency"
    assert (await another_client.get("/api/cases")).json() == []
    facts_after = (await app_client.get(f"/api/cases/{case_id}")).json()
    for field in ("agency_id", "procedure", "start_path", "title", "compliance", "next_steps"):
        assert facts_after[field] == facts_before[field], field


async def test_a_colleague_reusing_a_case_id_with_a_new_request_is_refused(
    app_client, another_client
):
    owner = await signed_in(app_client, "officer", AGENCY, name="张执法")
    first = opening(case_id=str(uuid.uuid4()))
    opened = await app_client.post("/api/cases", json=first, headers=owner)
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    before = await chain_of(case_id)

    colleague = await signed_in(another_client, "officer", AGENCY, name="李执法")
    again = await another_client.post("/api/cases", json=opening(case_id), headers=colleague)

    assert again.status_code == 409 and again.json()["code"] == "case_exists"
    assert await chain_of(case_id) == before
    assert (await another_client.get(f"/api/cases/{case_id}/timeline")).status_code == 403


async def test_a_phone_resending_its_case_gets_the_original_and_cannot_grow_the_team(
    app_client, another_client
):
    owner = await signed_in(app_client, "officer", AGENCY, name="张执法")
    first = opening(case_id=str(uuid.uuid4()))
    opened = await app_client.post("/api/cases", json=first, headers=owner)
    case_id = opened.json()["case_id"]
    before = await chain_of(case_id)

    resent = await app_client.post("/api/cases", json=first, headers=owner)
    assert resent.status_code == 201, resent.text
    assert resent.json()["case_id"] == case_id
    assert await chain_of(case_id) == before

    # The team changes through the membership route only, not by resending the opening.
    colleague = await signed_in(another_client, "officer", AGENCY, name="李执法")
    grown = await app_client.post(
        "/api/cases", json={**first, "officers": [colleague.staff_id]}, headers=owner
    )
    assert grown.status_code == 409 and grown.json()["code"] == "client_id_reused"
    assert await chain_of(case_id) == before
