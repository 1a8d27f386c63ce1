"""The app starts on a fresh data directory, serves its OpenAPI, and never answers unsigned callers."""

from __future__ import annotations


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
