"""The app starts on a fresh data directory, serves its OpenAPI, and never answers unsigned callers."""

from __future__ import annotations

import uuid


async def test_the_openapi_schema_is_served(app_client):
    response = await app_client.get("/schema/openapi.json")
    assert response.status_code == 200
    operations = {
        op["operationId"]
        for path in response.json()["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {"appendEntry", "readTimeline", "latestCheckpoint"} <= operations


async def test_the_latest_checkpoint_is_public_and_signed(app_client):
    response = await app_client.get("/api/log/checkpoint")
    assert response.status_code == 200
    body = response.json()
    assert body["note"].startswith(f"{body['origin']}\n0\n")
    assert body["vkey"].startswith(body["origin"] + "+")


async def test_a_timeline_is_not_readable_without_signing_in(app_client):
    response = await app_client.get("/api/cases/case-1/timeline")
    assert response.status_code == 401
    assert response.json()["code"] == "not_signed_in"


async def test_an_unsigned_append_is_refused_and_changes_nothing(app_client):
    response = await app_client.post(
        "/api/cases/case-1/entries",
        json={
            "kind": "note",
            "client_id": "c1c1c1c1-0000-4000-8000-000000000001",
            "payload": {"text": "x"},
        },
    )
    assert response.status_code in (401, 403)
    assert (await app_client.get("/api/log/checkpoint")).json()["size"] == 0


async def open_case(client, officer) -> str:
    opened = await client.post(
        "/api/cases",
        json={
            "client_id": str(uuid.uuid4()),
            "title": "越界参数案件",
            "enforcement_kind": "penalty",
            "procedure": "general",
            "start_path": "ex_officio",
            "parties": [{"name": "王某", "kind": "person"}],
            "officers": [],
        },
        headers=officer,
    )
    assert opened.status_code == 201, opened.text
    return opened.json()["case_id"]


async def test_a_timeline_position_past_what_the_database_holds_is_a_400(app_client, sign_in):
    officer = await sign_in(app_client, "officer", "zhengxiang-hrss")
    case_id = await open_case(app_client, officer)
    for position in (2**31, 2**63):  # a PostgreSQL integer, an SQLite integer
        page = await app_client.get(f"/api/cases/{case_id}/timeline?after_seq={position}")
        assert page.status_code == 400, (position, page.text)
        proof = await app_client.get(f"/api/log/consistency?old_size={position}")
        assert proof.status_code == 400, (position, proof.text)
    assert (await app_client.get(f"/api/cases/{case_id}/timeline")).status_code == 200


async def test_a_nul_character_in_what_a_caller_sends_is_refused_never_a_500(app_client, sign_in):
    officer = await sign_in(app_client, "officer", "zhengxiang-hrss")
    before = (await app_client.get("/api/log/checkpoint")).json()["size"]
    page = await app_client.get("/api/cases/case%00one/timeline")
    assert page.status_code in (400, 404), page.text  # PostgreSQL text cannot hold it: 400
    removed = await app_client.post(
        "/api/notify/subscriptions/remove",
        json={"endpoint": "https://push.example/\x00"},
        headers=officer,
    )
    assert removed.status_code in (200, 400), removed.text
    if removed.status_code == 400:
        assert removed.json()["code"] == "unstorable_value"
    assert (await app_client.get("/api/log/checkpoint")).json()["size"] == before
