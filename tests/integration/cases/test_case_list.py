"""An officer's case list says what each case needs next, without opening every case."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.conftest import signed_in

AGENCY = "zhengxiang-hrss"


async def open_case(client: Any, headers: dict[str, str], title: str) -> dict[str, Any]:
    body = {
        "client_id": str(uuid.uuid4()),
        "title": title,
        "enforcement_kind": "penalty",
        "procedure": "general",
        "start_path": "ex_officio",
        "parties": [{"name": "王某", "kind": "person"}],
    }
    response = await client.post("/api/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_my_case_list_carries_next_steps_and_open_problems_when_asked(
    app_client, projected
) -> None:
    headers = await signed_in(app_client, "officer", AGENCY)
    opened = await open_case(app_client, headers, "某餐馆拖欠工资案")

    listed = (await app_client.get("/api/cases?with=next")).json()
    row = next(c for c in listed if c["case_id"] == opened["case_id"])
    read = (await app_client.get(f"/api/cases/{opened['case_id']}")).json()
    # The list says the same as the case itself, but keeps the full compliance list for the case read.
    assert row["next_steps"] == read["next_steps"] and row["next_steps"]
    assert "record.case_opening_approval" in row["next_steps"]
    assert row["problems"] == read["problems"]
    assert row["open_problems"] == read["open_problems"]
    assert {p["status"] for p in row["open_problems"]} <= {"missing", "late"}
    assert row["compliance"] is None


async def test_a_plain_list_does_not_read_timelines(app_client, projected) -> None:
    headers = await signed_in(app_client, ["officer", "supervisor"], AGENCY)
    await open_case(app_client, headers, "某工地欠薪投诉")
    listed = (await app_client.get("/api/cases")).json()
    assert listed and all(c["next_steps"] is None and c["problems"] is None for c in listed)
    assert (await app_client.get("/api/cases?with=everything")).status_code == 400


async def test_a_stage_move_shows_on_the_list(app_client, projected) -> None:
    headers = await signed_in(app_client, "officer", AGENCY)
    case_id = (await open_case(app_client, headers, "某公司未签劳动合同案"))["case_id"]
    moved = await app_client.post(
        f"/api/cases/{case_id}/entries",
        json={
            "kind": "case.stage",
            "client_id": str(uuid.uuid4()),
            "payload": {"stage": "investigation"},
        },
        headers=headers,
    )
    assert moved.status_code == 201, moved.text
    listed = (await app_client.get("/api/cases?with=next")).json()
    row = next(c for c in listed if c["case_id"] == case_id)
    assert row["stage"] == "investigation"
