"""Capture stories on real cases, told by officers signed in with passkeys through the real API.

Devices (registered by a supervisor, checked before the shift, reported faulty), a recording
session with an interruption and a written closure, photos whose EXIF agrees or disagrees with
the device, and uploads made after the agency's deadline.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import ExifTags, Image

from tests.integration.conftest import signed_in
from tests.integration.uploads import upload_media

NOW = datetime.now(UTC)
GEO = {"lat": 38.0428, "lon": 114.5149, "accuracy_m": 8.0}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def photo(taken: datetime | None = None, software: str | None = None) -> bytes:
    """A JPEG as a phone camera writes it: DateTimeOriginal with its offset, GPS where claimed."""
    exif = Image.Exif()
    if taken is not None:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        ifd[ExifTags.Base.DateTimeOriginal] = taken.astimezone(UTC).strftime("%Y:%m:%d %H:%M:%S")
        ifd[ExifTags.Base.OffsetTimeOriginal] = "+00:00"
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLongitudeRef] = "N", "E"
        gps[ExifTags.GPS.GPSLatitude] = (38.0, 2.0, 34.08)
        gps[ExifTags.GPS.GPSLongitude] = (114.0, 30.0, 53.64)
    if software:
        exif[ExifTags.Base.Software] = software
    out = io.BytesIO()
    colour = tuple(uuid.uuid4().bytes[:3])  # every capture its own bytes, so its own blob
    Image.new("RGB", (96, 64), colour).save(out, "JPEG", exif=exif)
    return out.getvalue()


class Officer:
    """One signed-in person with their own client (cookies) and CSRF headers."""

    def __init__(self, client: Any, headers: Any) -> None:
        self.client, self.headers = client, headers
        self.staff_id: str = headers.staff_id

    async def post(self, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        r = await self.client.post(url, json=body, headers=self.headers)
        assert r.status_code == status, r.text
        return r.json()

    async def open_case(self, *officers: str) -> str:
        case = await self.post(
            "/api/cases",
            {
                "client_id": str(uuid.uuid4()),
                "title": "某建筑公司欠薪投诉现场检查",
                "enforcement_kind": "inspection",
                "procedure": "general",
                "start_path": "complaint",
                "parties": [
                    {
                        "name": "某建筑公司",
                        "kind": "organisation",
                        "id_number": "—",
                        "phone": "—",
                        "address": "—",
                    }
                ],  # fmt: skip
                "officers": [self.staff_id, *officers],
            },
        )
        return case["case_id"]

    async def capture(self, case_id: str, data: bytes, *, claimed_at: datetime,
                      payload: dict | None = None, kind: str = "media.photo",
                      media_type: str = "image/jpeg") -> dict[str, Any]:  # fmt: skip
        claimed = {"time": iso(claimed_at), "clock_offset_ms": 0,
                   "geo": {**GEO, "fix_time": iso(claimed_at)}}  # fmt: skip
        return await upload_media(self.client, self.headers, case_id, data, claimed=claimed,
                                  kind=kind, media_type=media_type, payload=payload)  # fmt: skip

    async def timeline(self, case_id: str) -> list[dict[str, Any]]:
        r = await self.client.get(f"/api/cases/{case_id}/timeline")
        assert r.status_code == 200, r.text
        return r.json()["entries"]


async def officer(client: Any, agency: str, role: str | list[str] = "officer") -> Officer:
    return Officer(client, await signed_in(client, role, agency))


def codes(entry: dict[str, Any]) -> set[str]:
    return {f["code"] for f in entry["payload"]["findings"]}


# -- devices ------------------------------------------------------------------------------------


async def test_supervisor_registers_a_recorder_officer_checks_it_and_reports_a_fault(
    app_client, another_client
):
    boss = await officer(app_client, "hebei-hrss", "supervisor")
    me = await officer(another_client, "hebei-hrss")
    await boss.post("/api/devices", {"client_id": str(uuid.uuid4()), "number": "BC-001",
                                     "type": "body_camera", "assigned_to": me.staff_id,
                                     "make": "Hikvision", "model": "DSJ-HK7"})  # fmt: skip
    # An officer may not register devices.
    await me.post("/api/devices", {"client_id": str(uuid.uuid4()), "number": "BC-002",
                                   "type": "body_camera"}, status=403)  # fmt: skip

    check = await me.post("/api/devices/BC-001/checks", {
        "client_id": str(uuid.uuid4()), "battery_pct": 12, "storage_free_mb": 30,
        "clock_offset_ms": 95_000})  # fmt: skip
    assert check["kind"] == "device.checked"
    assert check["case_id"] == "agency:hebei-hrss"
    fault = await me.post("/api/devices/BC-001/faults", {
        "client_id": str(uuid.uuid4()), "description": "镜头进水，画面模糊",
        "out_of_service": True})  # fmt: skip
    assert fault["kind"] == "device.fault"

    listed = (await app_client.get("/api/devices")).json()
    device = next(d for d in listed if d["number"] == "BC-001")
    assert device["assigned_to"] == me.staff_id
    assert device["last_check_ok"] is False  # low battery, little storage, clock off: recorded
    assert device["last_check_problems"]
    assert device["out_of_service"] is True


# -- AV recording session -----------------------------------------------------------------------


async def test_recording_session_interrupted_resumed_ended_and_another_closed_in_writing(
    app_client, another_client
):
    me = await officer(app_client, "hebei-hrss")
    partner = await officer(another_client, "hebei-hrss")
    case_id = await me.open_case(partner.staff_id)
    url = f"/api/cases/{case_id}/av-sessions/steps"

    async def step(kind: str, payload: dict, who: Officer = me, status: int = 201) -> dict:
        return await who.post(url, {"kind": kind, "client_id": str(uuid.uuid4()),
                                    "payload": payload,
                                    "claimed": {"time": iso(NOW), "clock_offset_ms": 0}},
                              status=status)  # fmt: skip

    start = {"session_id": "s1", "started_at": iso(NOW),
             "place": {"text": "石家庄市某工地", "lat": 38.04, "lon": 114.5},
             "officers": [{"name": "张执法", "certificate_no": "13000001"},
                          {"name": "李执法", "certificate_no": "13000002"}],
             "reason": "现场检查", "target": "某建筑公司", "step": "record.onsite_inspection",
             "told_present": True}  # fmt: skip
    await step("av.session_started", start)
    await step("av.segment", {"session_id": "s1", "index": 0, "started_at": iso(NOW),
                              "ended_at": iso(NOW + timedelta(minutes=10))})  # fmt: skip
    await step("av.interrupted", {"session_id": "s1", "at": iso(NOW + timedelta(minutes=10)),
                                  "reason": "battery", "explanation": "电量耗尽，更换电池"})  # fmt: skip
    # Recording may not go on without resuming first.
    await step("av.ended", {"session_id": "s1", "ended_at": iso(NOW)}, status=409)
    await step("av.resumed", {"session_id": "s1", "at": iso(NOW + timedelta(minutes=12)),
                              "spoken_reason_segment": 1})  # fmt: skip
    await step("av.segment", {"session_id": "s1", "index": 1,
                              "started_at": iso(NOW + timedelta(minutes=12)),
                              "ended_at": iso(NOW + timedelta(minutes=30))})  # fmt: skip
    await step("av.ended", {"session_id": "s1", "ended_at": iso(NOW + timedelta(minutes=30))})

    session = (await app_client.get(f"/api/cases/{case_id}/av-sessions/s1")).json()
    assert session["status"] == "ended"
    assert session["interruptions"][0]["reason"] == "battery"
    assert session["segments"][1]["spoken_reason"] is True

    # The recorder fails for good in a second session: two officers sign the written closure.
    await step("av.session_started", {**start, "session_id": "s2"})
    closure = {"session_id": "s2", "at": iso(NOW + timedelta(hours=1)), "reason": "device_fault",
               "explanation": "记录仪故障，无法继续录像，改为文字记录",
               "signed_by": [{"staff_id": me.staff_id, "name": "张执法"},
                             {"staff_id": me.staff_id, "name": "张执法"}]}  # fmt: skip
    refused = await me.client.post(url, headers=me.headers, json={
        "kind": "av.closed_in_writing", "client_id": str(uuid.uuid4()), "payload": closure})  # fmt: skip
    assert refused.status_code == 400, refused.text
    closure["signed_by"][1] = {"staff_id": partner.staff_id, "name": "李执法"}
    await step("av.closed_in_writing", closure, who=partner)
    second = (await another_client.get(f"/api/cases/{case_id}/av-sessions/s2")).json()
    assert second["status"] == "closed_in_writing"
    kinds = [e["kind"] for e in await me.timeline(case_id)]
    assert kinds.count("av.session_started") == 2 and "av.closed_in_writing" in kinds


# -- photos: what the file says vs. what the device claims --------------------------------------


async def test_photos_land_on_the_case_with_consistent_edited_and_older_than_step_findings(
    app_client,
):
    me = await officer(app_client, "hebei-hrss")
    case_id = await me.open_case()
    step_started = NOW - timedelta(minutes=5)

    fresh = await me.capture(case_id, photo(NOW), claimed_at=NOW,
                             payload={"step_started_at": iso(step_started)})  # fmt: skip
    assert codes(fresh) == {"consistent"}

    edited = await me.capture(case_id, photo(NOW, software="Adobe Photoshop 25.0"),
                              claimed_at=NOW)  # fmt: skip
    assert "edited" in codes(edited)

    # A photo taken two days ago, re-used now for a step that began five minutes ago.
    old = await me.capture(case_id, photo(NOW - timedelta(days=2)), claimed_at=NOW,
                           payload={"step_started_at": iso(step_started)})  # fmt: skip
    assert "older_than_step" in codes(old)
    assert "time_skew" in codes(old)

    timeline = await me.timeline(case_id)
    photos = [e for e in timeline if e["kind"] == "media.photo"]
    assert [p["hash"] for p in photos] == [fresh["hash"], edited["hash"], old["hash"]]
    assert all(p["case_id"] == case_id for p in photos)


# -- upload deadlines ---------------------------------------------------------------------------


async def test_late_upload_is_flagged_with_hours_late_under_a_24_hour_pack(app_client):
    me = await officer(app_client, "hebei-hrss")
    case_id = await me.open_case()
    on_time = await me.capture(case_id, photo(), claimed_at=NOW - timedelta(hours=2))
    assert on_time["payload"]["upload"]["late_by_h"] == 0
    late = await me.capture(case_id, photo(), claimed_at=NOW - timedelta(hours=30))
    upload = late["payload"]["upload"]
    assert 5.5 <= upload["late_by_h"] <= 6.5
    assert "24" in str(upload["basis"]) or "hour" in str(upload["basis"])


async def test_late_upload_is_flagged_under_a_two_working_day_pack(app_client):
    me = await officer(app_client, "zhengxiang-hrss")
    case_id = await me.open_case()
    on_time = await me.capture(case_id, photo(), claimed_at=NOW - timedelta(hours=20))
    assert on_time["payload"]["upload"]["late_by_h"] == 0
    # Ten calendar days always hold more than two working days, holidays or not.
    late = await me.capture(case_id, photo(), claimed_at=NOW - timedelta(days=10))
    upload = late["payload"]["upload"]
    assert upload["late_by_h"] > 0
    assert "working" in str(upload["basis"])


# -- seeking in media ---------------------------------------------------------------------------


async def test_supervisor_seeks_in_media_with_ranges_and_one_view_is_logged(app_client):
    me = await officer(app_client, "hebei-hrss")
    case_id = await me.open_case()
    data = photo(NOW)
    entry = await me.capture(case_id, data, claimed_at=NOW)
    url = f"/api/blobs/{entry['payload']['sha256']}"

    whole = await app_client.get(url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    first = await app_client.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-99/{len(data)}"
    assert first.content == data[:100]
    seek = await app_client.get(url, headers={"Range": "bytes=100-"})
    assert seek.status_code == 206 and seek.content == data[100:]
    beyond = await app_client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"

    views = [e for e in await me.timeline(case_id) if e["kind"] == "access.viewed"]
    # The access log de-duplicates views within its window; the seek added none.
    assert len(views) == 1
