"""Archiving is an agency role's job: archivists and supervisors file the dossier of any case of
their own agency without being on its team, and nothing else (mingshan §32, zhengxiang §29)."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import signed_in
from tests.integration.identity.people import log_size, open_case

AGENCY, OTHER = "mingshan-emergency", "pingluo-transport"
ARCHIVE = {"dossier_number": "明应急〔2025〕7号", "archivist": "档案员"}


async def post(client, headers, case_id, kind, payload):
    return await client.post(
        f"/api/cases/{case_id}/entries",
        json={"kind": kind, "client_id": str(uuid.uuid4()), "payload": payload},
        headers=headers,
    )


@pytest.mark.parametrize("role", ["archivist", "supervisor"])
async def test_mingshan_32_an_archivist_or_supervisor_files_a_case_they_are_not_on(
    app_client, another_client, role
):
    officer = await signed_in(another_client, "officer", AGENCY)
    case_id = await open_case(another_client, officer)
    keeper = await signed_in(app_client, role, AGENCY)
    filed = await post(app_client, keeper, case_id, "record.archive", ARCHIVE)
    assert filed.status_code == 201, filed.text
    assert filed.json()["actor"] == keeper.staff_id
    # Filing the dossier does not make them a handler: any other record is still refused.
    size = await log_size(app_client)
    note = await post(app_client, keeper, case_id, "note", {"text": "x"})
    assert note.status_code == 403 and note.json()["code"] == "not_member"
    other = await post(
        app_client, keeper, case_id, "record.inquiry", {"person": "王", "transcript": "…"}
    )
    assert other.status_code == 403 and other.json()["code"] == "not_member"
    assert await log_size(app_client) == size


async def test_mingshan_32_another_agencys_archivist_and_a_colleague_officer_cannot_archive(
    app_client, another_client
):
    officer = await signed_in(another_client, "officer", AGENCY)
    case_id = await open_case(another_client, officer)
    size = await log_size(app_client)
    stranger = await signed_in(app_client, "archivist", OTHER)
    refused = await post(app_client, stranger, case_id, "record.archive", ARCHIVE)
    assert refused.status_code == 403 and refused.json()["code"] == "other_agency"
    colleague = await signed_in(app_client, "officer", AGENCY)
    refused = await post(app_client, colleague, case_id, "record.archive", ARCHIVE)
    assert refused.status_code == 403 and refused.json()["code"] == "not_member"
    assert await log_size(app_client) == size
    timeline = (await another_client.get(f"/api/cases/{case_id}/timeline")).json()["entries"]
    assert "record.archive" not in {e["kind"] for e in timeline}
