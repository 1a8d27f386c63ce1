"""An officer's own cases are those of their agency they are on now: taken off a case, it is gone."""

from __future__ import annotations

import uuid

from backend.recordings.matching import officer_cases
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER, open_case

RECORDING = "ab" * 32


async def link_recording(client, headers, case_id: str):
    return await client.post(
        f"/api/recordings/{RECORDING}/links",
        json={"case_id": case_id, "client_id": str(uuid.uuid4())},
        headers=headers,
    )


async def listed(client) -> set[str]:
    response = await client.get("/api/cases")
    assert response.status_code == 200, response.text
    return {c["case_id"] for c in response.json()}


async def test_an_officer_taken_off_a_case_no_longer_has_it_among_their_cases(
    app_client, another_client
):
    colleague = await signed_in(another_client, "officer", AGENCY, name="李执法")
    handler = await signed_in(app_client, "officer", AGENCY, name="张执法")
    case_id = await open_case(app_client, handler, officers=[colleague.staff_id])
    assert await officer_cases(AGENCY, colleague.staff_id) == [case_id]
    assert case_id in await listed(another_client)

    removed = await app_client.post(
        f"/api/cases/{case_id}/members/{colleague.staff_id}/remove",
        json={"reason": "调岗", "client_id": str(uuid.uuid4())},
        headers=handler,
    )
    assert removed.status_code == 201, removed.text

    assert await officer_cases(AGENCY, colleague.staff_id) == []
    assert case_id not in await listed(another_client)
    refused = await link_recording(another_client, colleague, case_id)
    assert refused.status_code == 403 and refused.json()["code"] == "not_case_member"
    assert await officer_cases(AGENCY, handler.staff_id) == [case_id]


async def test_an_officer_of_another_agency_never_gets_its_cases(app_client, another_client):
    outsider = await signed_in(another_client, "officer", OTHER, name="外单位")
    owner = await signed_in(app_client, "officer", AGENCY, name="张执法")
    # Even a membership entry naming the outsider on this agency's case gives them nothing.
    case_id = await open_case(app_client, owner, officers=[outsider.staff_id])

    assert await officer_cases(OTHER, outsider.staff_id) == []
    assert await listed(another_client) == set()
    refused = await link_recording(another_client, outsider, case_id)
    assert refused.status_code in (403, 404), refused.text
