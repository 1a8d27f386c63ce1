"""Small helpers for identity's API tests: open a case as a signed-in officer, read tables."""

from __future__ import annotations

import uuid

AGENCY = "zhengxiang-hrss"
OTHER = "pingluo-transport"


async def open_case(client, headers, officers=(), title="某公司未按时足额支付工资案") -> str:
    response = await client.post(
        "/api/cases",
        json={
            "client_id": str(uuid.uuid4()),
            "title": title,
            "enforcement_kind": "penalty",
            "officers": list(officers),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["case_id"]


async def add_note(client, headers, case_id, text="现场检查记录", **payload) -> dict:
    response = await client.post(
        f"/api/cases/{case_id}/entries",
        json={"kind": "note", "client_id": str(uuid.uuid4()), "payload": {"text": text, **payload}},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def log_size(client) -> int:
    return (await client.get("/api/log/checkpoint")).json()["size"]


async def sign(client, headers, device, entry_hash, meaning="approve", credential_id=None, **kw):
    options = await client.post(
        f"/api/entries/{entry_hash}/signatures/options", json={"meaning": meaning}, headers=headers
    )
    assert options.status_code == 200, options.text
    assertion = device.assert_(options.json(), credential_id=credential_id)
    return await client.post(
        f"/api/entries/{entry_hash}/signatures",
        json={"meaning": meaning, "credential": assertion, **kw},
        headers=headers,
    )
