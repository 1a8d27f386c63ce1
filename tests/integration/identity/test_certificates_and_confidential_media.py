"""执法证 validity gates enforcement records; flagged photos stay with the cleared; client ids are UUIDs."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

from PIL import Image

from backend.identity import remembered
from backend.identity.tables import Staff
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, open_case
from tests.integration.uploads import upload_media

NOW = datetime.now(UTC)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 60, 90)).save(out, "JPEG")
    return out.getvalue()


def claimed(at: datetime = NOW) -> dict:
    return {"time": at.isoformat().replace("+00:00", "Z"), "clock_offset_ms": 0, "geo": None}


async def write_inquiry(client, headers, case_id, at: datetime = NOW, **payload):
    return await client.post(
        f"/api/cases/{case_id}/entries",
        json={
            "kind": "record.complaint_handling",
            "client_id": str(uuid.uuid4()),
            "claimed": claimed(at),
            "payload": {
                "decision": "open",
                "reason": "举报属实",
                "reply_method": "phone",
                **payload,
            },
        },
        headers=headers,
    )


async def set_certificate(staff_id: str, until: str | None, number: str = "湘执01234") -> None:
    await Staff.update({Staff.cert_number: number, Staff.cert_valid_until: until}).where(
        Staff.staff_id == staff_id
    )


async def test_an_admin_cannot_store_a_certificate_date_that_is_not_a_date(
    app_client, another_client
):
    admin = await signed_in(app_client, "admin", AGENCY)
    officer = await signed_in(another_client, "officer", AGENCY)
    for bad in ("garbage", "2030-13-45", "31/12/2030"):
        response = await app_client.patch(
            f"/api/staff/{officer.staff_id}",
            json={"client_id": str(uuid.uuid4()), "cert_valid_until": bad},
            headers=admin,
        )
        assert response.status_code == 400, (bad, response.text)
    row = await Staff.select(Staff.cert_valid_until).where(Staff.staff_id == officer.staff_id)
    assert row[0]["cert_valid_until"] is None
    good = await app_client.patch(
        f"/api/staff/{officer.staff_id}",
        json={
            "client_id": str(uuid.uuid4()),
            "cert_number": "湘执9",
            "cert_valid_until": "2030-12-31",
        },
        headers=admin,
    )
    assert good.status_code == 200, good.text
    assert good.json()["cert_valid_until"] == "2030-12-31"
    assert good.json()["cert_status"] == "valid"


async def test_the_staff_list_tells_admins_whose_certificate_lapses_soon(
    app_client, another_client
):
    admin = await signed_in(app_client, "admin", AGENCY)
    soon = await signed_in(another_client, "officer", AGENCY, name="快到期")
    gone = await signed_in(another_client, "officer", AGENCY, name="已过期")
    await set_certificate(soon.staff_id, (date.today() + timedelta(days=10)).isoformat())
    await set_certificate(gone.staff_id, "2020-01-01")
    listed = {s["staff_id"]: s for s in (await app_client.get("/api/staff", headers=admin)).json()}
    assert listed[soon.staff_id]["cert_status"] == "expiring"
    assert listed[gone.staff_id]["cert_status"] == "expired"
    assert listed[admin.staff_id]["cert_status"] == "missing"


async def test_an_officer_with_an_expired_certificate_may_not_write_enforcement_records(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY)
    colleague = await signed_in(another_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer, officers=[colleague.staff_id])
    await set_certificate(officer.staff_id, "2020-01-01")

    refused = await write_inquiry(app_client, officer, case_id)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "certificate_expired"
    assert "执法证" in refused.json()["message"] and "certificate" in refused.json()["message"]

    # Notes are not enforcement acts; a colleague with a valid certificate records the act.
    note = await app_client.post(
        f"/api/cases/{case_id}/entries",
        json={
            "kind": "note",
            "client_id": str(uuid.uuid4()),
            "payload": {"text": "证件过期，由同事记录"},
        },
        headers=officer,
    )
    assert note.status_code == 201, note.text
    await set_certificate(colleague.staff_id, "2099-12-31")
    assert (await write_inquiry(another_client, colleague, case_id)).status_code == 201


async def test_a_record_made_offline_before_the_certificate_lapsed_still_syncs(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    yesterday = NOW - timedelta(days=1)
    await set_certificate(officer.staff_id, (yesterday.date() - timedelta(days=1)).isoformat())
    assert (await write_inquiry(app_client, officer, case_id, at=NOW)).status_code == 403
    before = NOW - timedelta(days=5)
    assert (await write_inquiry(app_client, officer, case_id, at=before)).status_code == 201


async def test_a_flagged_photo_is_refused_to_staff_without_clearance_and_the_attempt_logged(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY)
    supervisor = await signed_in(another_client, "supervisor", AGENCY)
    case_id = await open_case(app_client, officer)
    entry = await upload_media(
        app_client, officer, case_id, photo(), claimed=claimed(),
        payload={"confidentiality": "privacy", "caption": "当事人身份证"},
    )  # fmt: skip
    assert entry["kind_version"] == 2 and entry["payload"]["confidentiality"] == "privacy"
    sha = entry["payload"]["sha256"]

    for variant in ("", "?variant=thumbnail"):
        refused = await another_client.get(f"/api/blobs/{sha}{variant}")
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "confidential"
    # The photographer still sees their own photo.
    assert (await app_client.get(f"/api/blobs/{sha}")).status_code == 200

    timeline = (await app_client.get(f"/api/cases/{case_id}/timeline?limit=1000")).json()
    attempts = [
        e for e in timeline["entries"]
        if e["kind"] == "access.viewed" and e["payload"].get("refused") == "confidential"
    ]  # fmt: skip
    assert {a["actor"] for a in attempts} == {supervisor.staff_id}
    assert {a["payload"]["what"] for a in attempts} == {f"{sha}:original", f"{sha}:thumbnail"}

    await Staff.update({Staff.clearances: '["privacy"]'}).where(
        Staff.staff_id == supervisor.staff_id
    )
    remembered.forget_sessions()  # as an admin's change does (staff.change_staff)
    assert (await another_client.get(f"/api/blobs/{sha}")).status_code == 200


async def test_a_photo_named_by_a_secret_record_is_as_secret_as_the_record(
    app_client, another_client
):
    officer = await signed_in(app_client, "officer", AGENCY)
    await signed_in(another_client, "supervisor", AGENCY)
    case_id = await open_case(app_client, officer)
    entry = await upload_media(app_client, officer, case_id, photo(), claimed=claimed())
    sha = entry["payload"]["sha256"]
    assert (await another_client.get(f"/api/blobs/{sha}")).status_code == 200
    record = await app_client.post(
        f"/api/cases/{case_id}/entries",
        json={
            "kind": "record.complaint_handling",
            "client_id": str(uuid.uuid4()),
            "blobs": [sha],
            "payload": {"decision": "open", "reason": "举报人", "reply_method": "phone",
                        "confidentiality": "business_secret"},
        },
        headers=officer,
    )  # fmt: skip
    assert record.status_code == 201, record.text
    refused = await another_client.get(f"/api/blobs/{sha}")
    assert refused.status_code == 403 and refused.json()["code"] == "confidential"


async def test_a_flag_outside_the_three_levels_is_refused(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    response = await write_inquiry(app_client, officer, case_id, confidentiality="top")
    assert response.status_code == 400 and response.json()["code"] == "schema_violation"


async def test_client_made_entries_need_a_uuid_and_a_known_kind(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    url = f"/api/cases/{case_id}/entries"
    bad_id = await app_client.post(
        url, json={"kind": "note", "client_id": "not-a-uuid", "payload": {"text": "x"}},
        headers=officer,
    )  # fmt: skip
    assert bad_id.status_code == 400 and bad_id.json()["code"] == "bad_client_id"
    unknown = await app_client.post(
        url, json={"kind": "nope", "client_id": str(uuid.uuid4()), "payload": {}}, headers=officer
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_kind"
    reserved = await app_client.post(
        url,
        json={"kind": "access.viewed", "client_id": str(uuid.uuid4()),
              "payload": {"staff_id": officer.staff_id, "action": "timeline"}},
        headers=officer,
    )  # fmt: skip
    assert reserved.status_code == 403 and reserved.json()["code"] == "reserved_kind"
    media = await app_client.post(
        f"/api/cases/{case_id}/media",
        json={"client_id": "m-1", "sha256": "0" * 64, "kind": "media.photo",
              "media_type": "image/jpeg"},
        headers=officer,
    )  # fmt: skip
    assert media.status_code == 400 and media.json()["code"] == "bad_client_id"
