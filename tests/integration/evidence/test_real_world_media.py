"""Issue 17: real-world photos and recordings sent through tus and finalise, as devices send them.

Every genuine capture is kept, with findings right in China's time zone; refusals say what is
wrong in words an officer can act on, with the status the rest of the API uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.content_credentials_files import signed_photo, tampered
from tests.integration.evidence.conftest import iso, jpeg
from tests.integration.evidence.test_uploads_api import nothing_changed
from tests.real_world_media import (
    jpeg_like_thumbs_db,
    jpeg_with_bad_marker,
    mp4_with_absurd_duration,
    phone_photo,
    tiff_photo,
    truncated_mp4,
    webm_like_thumbs_db,
)

SHANGHAI = "Asia/Shanghai"


def codes(entry: dict) -> list[str]:
    return [f["code"] for f in entry["payload"]["findings"]]


async def sent(me, data: bytes, **kw):
    case_id = await me.open_case()
    r, meta = await me.upload(case_id, data, **kw)
    return case_id, r, meta


# -- 1. genuine files whose bytes look like something else -------------------------------------


async def test_camera_photo_with_thumbs_db_looking_exif_is_kept(officer):
    case_id, r, meta = await sent(officer, jpeg_like_thumbs_db(), filename="DSCN0001.JPG")
    assert r.status_code == 204, r.text

    done = await officer.finalise(case_id, meta)
    assert done.status_code == 201, done.text
    assert done.json()["payload"]["media_type"] == "image/jpeg"


async def test_browser_webm_with_thumbs_db_looking_padding_is_kept(officer, tmp_path):
    data = webm_like_thumbs_db(tmp_path / "rec.webm").read_bytes()
    case_id, r, meta = await sent(officer, data, media_type="video/webm", filename="rec.webm")
    assert r.status_code == 204, r.text

    done = await officer.finalise(case_id, meta, kind="media.video")
    assert done.status_code == 201, done.text


# -- 2. time zones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone",
    [
        {"time_zone": SHANGHAI, "utc_offset_min": 480},  # today's app
        {},  # an app from before this change: the agency's zone (Asia/Shanghai) stands in
    ],
)
async def test_phone_photo_taken_at_utc8_with_a_utc_claim_has_no_time_skew(officer, zone):
    now = datetime.now(UTC).replace(microsecond=0)
    local = (now + timedelta(hours=8)).replace(tzinfo=None)  # the phone's wall clock
    case_id, r, meta = await sent(officer, phone_photo(local))
    assert r.status_code == 204, r.text

    done = await officer.finalise(case_id, meta, claimed={"time": iso(now), **zone})

    assert done.status_code == 201, done.text
    assert codes(done.json()) == ["consistent"]
    assert done.json()["claimed"].get("time_zone") == zone.get("time_zone")


async def test_a_photo_really_taken_hours_earlier_is_still_time_skew(officer):
    now = datetime.now(UTC).replace(microsecond=0)
    local = (now + timedelta(hours=6)).replace(tzinfo=None)  # two hours before, in UTC+8
    case_id, _, meta = await sent(officer, phone_photo(local))

    done = await officer.finalise(
        case_id, meta, claimed={"time": iso(now), "time_zone": SHANGHAI, "utc_offset_min": 480}
    )

    [skew] = [f for f in done.json()["payload"]["findings"] if f["code"] == "time_skew"]
    assert skew["detail"]["skew_s"] == pytest.approx(-7200)
    assert skew["detail"]["zone"] == SHANGHAI


@pytest.mark.parametrize(
    "claimed",
    [
        {"time_zone": "Asia/Shanghai; DROP TABLE"},
        {"time_zone": "x" * 65},
        {"utc_offset_min": 100000},
        {"utc_offset_min": "480"},
    ],
)
async def test_a_malformed_zone_claim_is_a_400_and_stores_nothing(officer, claimed):
    case_id, _, meta = await sent(officer, phone_photo(datetime(2026, 5, 1, 10)))
    before = len(await officer.timeline(case_id))

    done = await officer.finalise(
        case_id, meta, claimed={"time": iso(datetime.now(UTC)), **claimed}
    )

    assert done.status_code == 400, done.text
    assert len(await officer.timeline(case_id)) == before


# -- 3. cameras with a reset clock ----------------------------------------------------------------


async def test_camera_with_a_reset_clock_is_kept_with_a_finding(officer):
    case_id, r, meta = await sent(officer, phone_photo(datetime(1998, 1, 1)))
    assert r.status_code == 204, r.text

    done = await officer.finalise(case_id, meta)

    assert done.status_code == 201, done.text
    assert codes(done.json()) == ["camera_clock_unset"]


async def test_a_reset_clock_also_shows_without_a_claim(officer):
    case_id, _, meta = await sent(officer, jpeg_like_thumbs_db(taken="1998:01:01 00:00:00"))

    done = await officer.finalise(case_id, meta, claimed={})

    assert codes(done.json()) == ["no_claims", "camera_clock_unset"]


# -- 4. editing found without a claim -------------------------------------------------------------


@pytest.mark.parametrize("software", ["GIMP 2.10.36", "Adobe Photoshop 25.1 (Windows)", "醒图"])
async def test_edited_photo_is_found_without_any_claim(officer, software):
    case_id, _, meta = await sent(officer, phone_photo(datetime(2026, 5, 1, 10), software))

    done = await officer.finalise(case_id, meta, claimed={})

    assert done.status_code == 201, done.text
    assert codes(done.json()) == ["no_claims", "edited"]


# -- 5. status codes and words --------------------------------------------------------------------


async def test_a_tiff_is_a_415_like_every_other_type_refusal(officer):
    case_id = await officer.open_case()
    before = len(await officer.timeline(case_id))

    r, _ = await officer.create(case_id, tiff_photo(), media_type="image/tiff", filename="a.tif")

    assert r.status_code == 415, r.text
    assert r.json()["code"] == "unsupported_media_type"
    assert "image/tiff" in r.json()["detail"]["message_zh"]
    await nothing_changed(officer, case_id, before)


async def test_a_photo_type_offered_as_a_recording_is_a_415(officer):
    case_id = await officer.open_case()
    r, _ = await officer.create(case_id, jpeg(), media_type="image/jpeg", kind="media.audio")

    assert r.status_code == 415, r.text
    assert r.json()["code"] == "unsupported_media_type"


async def test_a_recording_cut_short_is_truncated_media(officer, tmp_path):
    case_id = await officer.open_case()
    before = len(await officer.timeline(case_id))
    data = truncated_mp4(tmp_path / "VID.mp4")

    r, _ = await officer.upload(case_id, data, media_type="video/mp4", filename="VID.mp4")

    assert r.status_code == 422, r.text
    assert r.json()["code"] == "truncated_media"
    assert "截断" in r.json()["detail"]["message_zh"]
    await nothing_changed(officer, case_id, before)


async def test_a_recording_with_an_absurd_duration_is_kept_with_a_finding(officer, tmp_path):
    data = mp4_with_absurd_duration(tmp_path / "VID.mp4")
    case_id, r, meta = await sent(officer, data, media_type="video/mp4", filename="VID.mp4")
    assert r.status_code == 204, r.text

    done = await officer.finalise(case_id, meta, kind="media.video")

    assert done.status_code == 201, done.text
    payload = done.json()["payload"]
    assert payload["media"]["duration_s"] is None  # unknown, never a made-up 0
    assert "absurd_duration" in codes(done.json())


async def test_a_jpeg_with_a_bad_marker_is_called_damaged_not_cut_short(officer):
    case_id = await officer.open_case()
    before = len(await officer.timeline(case_id))

    r, _ = await officer.upload(case_id, jpeg_with_bad_marker())

    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["code"], body["detail"]["reason"]) == ("unsafe_image", "bad_marker")
    assert "截断" not in body["detail"]["message_zh"]
    assert "cut short" not in body["detail"]["message_en"]
    await nothing_changed(officer, case_id, before)


# -- 7. Content Credentials (C2PA) --------------------------------------------------------------

TIANANMEN = (39.9087, 116.3975)


async def test_a_c2pa_signed_photo_matching_the_claim_is_strengthened(officer):
    taken = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    case_id, r, meta = await sent(officer, signed_photo(taken, *TIANANMEN))
    assert r.status_code == 204, r.text

    claim = {"time": iso(taken), "geo": {"lat": TIANANMEN[0], "lon": TIANANMEN[1], "accuracy_m": 8}}
    done = await officer.finalise(case_id, meta, claimed=claim)

    assert done.status_code == 201, done.text
    payload = done.json()["payload"]
    assert {"c2pa_valid", "c2pa_corroborated"} <= set(codes(done.json()))
    valid = next(f for f in payload["findings"] if f["code"] == "c2pa_valid")
    assert valid["detail"]["signer"] == "Test Phone Camera"
    assert valid["detail"]["device"] == "Leica M11-P"
    assert payload["c2pa"]["state"] == "Valid"


async def test_a_c2pa_photo_changed_after_signing_is_kept_and_flagged(officer):
    data = tampered(signed_photo(datetime.now(UTC), *TIANANMEN))
    case_id, r, meta = await sent(officer, data)
    assert r.status_code == 204, r.text

    done = await officer.finalise(case_id, meta, claimed={})

    assert done.status_code == 201, done.text
    assert codes(done.json()) == ["no_claims", "c2pa_invalid"]


async def test_edits_recorded_by_content_credentials_are_findings(officer):
    data = signed_photo(datetime.now(UTC), edits=("c2pa.cropped",))
    case_id, _, meta = await sent(officer, data)

    done = await officer.finalise(case_id, meta, claimed={})

    assert "c2pa_edited" in codes(done.json())
