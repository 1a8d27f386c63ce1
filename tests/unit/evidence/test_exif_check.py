"""Stories for the EXIF check: an officer's photo compared with what the phone claimed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pillow_heif
import pytest
from PIL import ExifTags, Image

from backend.evidence.exif_check import (
    EDITORS_FILE,
    DeviceClaims,
    ExifFacts,
    ExifInvalid,
    Finding,
    Tolerances,
    check_exif,
    claim_free_findings,
    compare_exif,
    haversine_m,
    read_exif,
)

CST = timezone(timedelta(hours=8))
CAPTURED = datetime(2024, 5, 1, 10, 0, 30, tzinfo=CST)
STEP_STARTED = CAPTURED - timedelta(minutes=2)
RECEIVED = CAPTURED + timedelta(minutes=5)
TIANANMEN = (39.9087, 116.3975)

pillow_heif.register_heif_opener()


def claims(**changes) -> DeviceClaims:
    values = dict(
        captured_at=CAPTURED,
        clock_offset_ms=1500,
        lat=TIANANMEN[0],
        lon=TIANANMEN[1],
        accuracy_m=12.0,
        fix_time=CAPTURED,
        device_id="device-1",
        make="Xiaomi",
        model="2211133C",
    )
    values.update(changes)
    return DeviceClaims(**values)


def dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def exif_block(
    *,
    taken: str | None = "2024:05:01 10:00:00",
    offset: str | None = "+08:00",
    lat: float | None = TIANANMEN[0],
    lon: float | None = TIANANMEN[1],
    gps_utc: datetime | None = datetime(2024, 5, 1, 2, 0, 20, tzinfo=UTC),
    make: str | None = "Xiaomi",
    model: str | None = "2211133C",
    software: str | None = "V14.0.6.0.TMCCNXM",
) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in (
        (ExifTags.Base.Make, make),
        (ExifTags.Base.Model, model),
        (ExifTags.Base.Software, software),
    ):
        if value is not None:
            # Chinese editors write UTF-8 into the ASCII-typed tag; Pillow would write "?".
            exif[tag] = value if value.isascii() else value.encode()
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    if taken is not None:
        ifd[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = dms(lat)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = dms(lon)
        if gps_utc is not None:
            gps[ExifTags.GPS.GPSDateStamp] = gps_utc.strftime("%Y:%m:%d")
            gps[ExifTags.GPS.GPSTimeStamp] = (
                float(gps_utc.hour),
                float(gps_utc.minute),
                float(gps_utc.second),
            )
    return exif


def photo(tmp_path: Path, name: str = "photo.jpg", fmt: str = "JPEG", **exif) -> Path:
    path = tmp_path / name
    Image.new("RGB", (64, 48), (90, 140, 60)).save(path, fmt, exif=exif_block(**exif))
    return path


def check(path: Path, device: DeviceClaims | None = None, **kw) -> list[Finding]:
    return check_exif(
        path,
        device or claims(),
        kw.pop("step_started_at", STEP_STARTED),
        kw.pop("received_at", RECEIVED),
        kw.pop("tolerances", Tolerances()),
    )


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("photo.jpg", "JPEG"), ("photo.png", "PNG"), ("photo.webp", "WEBP")],
)
def test_phone_photo_matching_its_claims_is_consistent(tmp_path, name, fmt):
    findings = check(photo(tmp_path, name, fmt))

    assert codes(findings) == ["consistent"]
    assert set(findings[0].detail["checked"]) == {
        "software",
        "device",
        "time",
        "step",
        "gps_time",
        "location",
    }
    assert findings[0].to_json() == {"code": "consistent", "detail": findings[0].detail}


def test_heic_photo_from_an_iphone_is_read_and_consistent(tmp_path):
    path = tmp_path / "photo.heic"
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("libheif has no HEIC encoder here")
    exif = exif_block(make="Apple", model="iPhone 14", software="17.1")
    Image.new("RGB", (64, 48), (90, 140, 60)).save(path, "HEIF", exif=exif.tobytes())

    findings = check(path, claims(make="Apple", model="iPhone 14"))

    assert codes(findings) == ["consistent"]
    assert read_exif(path).make == "Apple"


def test_in_app_canvas_capture_without_exif_relies_on_device_claims(tmp_path):
    path = tmp_path / "canvas.png"
    Image.new("RGB", (64, 48), (1, 2, 3)).save(path, "PNG")

    assert check(path) == [Finding("no_exif", {"basis": "device_claims"})]
    assert read_exif(path).has_exif is False


def test_photo_ten_minutes_off_the_claimed_time_is_time_skew(tmp_path):
    path = photo(tmp_path, taken="2024:05:01 10:10:30", gps_utc=None)

    [finding] = check(path)

    assert finding.code == "time_skew"
    assert finding.detail["source"] == "DateTimeOriginal"
    assert finding.detail["skew_s"] == 600
    assert finding.detail["tolerance_s"] == 300


def test_device_clock_set_back_is_caught_by_satellite_time(tmp_path):
    # The phone's clock says 10:00, the photo agrees, but GPS time is two hours later and
    # the app never measured the clock offset.
    path = photo(tmp_path, gps_utc=datetime(2024, 5, 1, 4, 0, 20, tzinfo=UTC))

    [finding] = check(path, claims(clock_offset_ms=None))

    assert finding.code == "time_skew"
    assert finding.detail["source"] == "GPSDateTime"
    assert finding.detail["skew_s"] == pytest.approx(7190)
    assert finding.detail["clock_offset_known"] is False


def test_exif_time_without_offset_is_read_in_the_claimed_zone_and_says_so(tmp_path):
    path = photo(tmp_path, offset=None)

    [finding] = check(path)

    assert finding.code == "consistent"
    assert "+08:00" in finding.detail["notes"][0]

    [skewed] = check(photo(tmp_path, "late.jpg", offset=None, taken="2024:05:01 11:00:00"))
    assert skewed.code == "time_skew"
    assert skewed.detail["offset_assumed"] == "+08:00"


def test_photo_taken_across_town_is_location_mismatch(tmp_path):
    path = photo(tmp_path, lat=TIANANMEN[0], lon=TIANANMEN[1] + 0.01)

    [finding] = check(path)

    assert finding.code == "location_mismatch"
    assert 840 < finding.detail["distance_m"] < 860
    assert finding.detail["tolerance_m"] == 200
    assert finding.detail["claimed"]["accuracy_m"] == 12.0


def test_a_few_metres_of_gps_drift_is_no_mismatch(tmp_path):
    path = photo(tmp_path, lat=TIANANMEN[0] + 0.0005, lon=TIANANMEN[1])

    assert codes(check(path)) == ["consistent"]


@pytest.mark.parametrize(
    "software",
    [
        "Adobe Photoshop 25.0 (Windows)",
        "Adobe Photoshop Lightroom Classic 13.0",
        "Snapseed 2.0",
        "GIMP 2.10.34",
        "美图秀秀",
        "PicsArt",
    ],
)
def test_photo_touched_up_in_an_editor_is_edited(tmp_path, software):
    [finding] = check(photo(tmp_path, software=software))

    assert finding.code == "edited"
    assert finding.detail["source"] == "software"
    assert finding.detail["software"] == software
    assert finding.detail["editor"] and finding.detail["editor_zh"]  # words for the screens


@pytest.mark.parametrize(
    "firmware", ["HDR+ 1.0.540104767zd", "G998BXXU5CVDD", "17.1.2", "Ver.1.00"]
)
def test_camera_firmware_version_is_not_an_edit(tmp_path, firmware):
    assert codes(check(photo(tmp_path, software=firmware))) == ["consistent"]


def test_old_photo_reused_for_a_later_step_is_older_than_step(tmp_path):
    path = photo(tmp_path, taken="2024:05:01 10:00:00", gps_utc=None)
    device = claims(captured_at=datetime(2024, 5, 1, 10, 0, 0, tzinfo=CST))

    [finding] = check(path, device, step_started_at=CAPTURED + timedelta(hours=1))

    assert finding.code == "older_than_step"
    assert finding.detail["seconds_before_step"] == pytest.approx(3630 - 1.5)
    assert finding.detail["tolerance_s"] == 600


def test_photo_from_another_phone_is_device_mismatch(tmp_path):
    path = photo(tmp_path, make="HUAWEI", model="ALN-AL00")

    [finding] = check(path)

    assert finding.code == "device_mismatch"
    assert finding.detail["make"] == {"exif": "HUAWEI", "claimed": "Xiaomi"}
    assert finding.detail["model"] == {"exif": "ALN-AL00", "claimed": "2211133C"}


def test_device_is_compared_only_when_the_claim_names_one(tmp_path):
    path = photo(tmp_path, make="HUAWEI", model="ALN-AL00")

    [finding] = check(path, claims(make=None, model=None))

    assert finding.code == "consistent"
    assert "device" not in finding.detail["checked"]


def test_model_with_the_make_repeated_matches_the_claim(tmp_path):
    path = photo(tmp_path, make="Canon", model="Canon EOS R5", software=None)

    assert codes(check(path, claims(make="CANON", model="EOS R5"))) == ["consistent"]


def test_every_failing_check_is_reported(tmp_path):
    path = photo(
        tmp_path,
        taken="2023:01:01 08:00:00",
        gps_utc=datetime(2023, 1, 1, 0, 0, 0, tzinfo=UTC),
        lat=31.2304,
        lon=121.4737,
        software="Snapseed 2.0",
        make="HUAWEI",
    )

    assert set(codes(check(path))) == {
        "edited",
        "device_mismatch",
        "time_skew",
        "older_than_step",
        "location_mismatch",
    }


@pytest.mark.parametrize(
    ("exif", "message"),
    [
        ({"lat": 95.0}, "latitude"),
        ({"lat": -91.0}, "latitude"),
        ({"lon": 181.0}, "longitude"),
        ({"taken": "0000:00:00 00:00:00"}, "not a valid date"),
        ({"taken": "2024:05:03 10:00:00"}, "more than a day"),
        ({"offset": "+99:00"}, "OffsetTimeOriginal"),
    ],
)
def test_absurd_exif_is_refused_not_recorded(tmp_path, exif, message):
    path = photo(tmp_path, **exif)

    with pytest.raises(ExifInvalid, match=message) as raised:
        check(path)
    assert isinstance(raised.value, ValueError)


def test_blank_exif_date_means_unknown_not_absurd(tmp_path):
    path = photo(tmp_path, taken="    :  :     :  :  ", gps_utc=None)

    finding = check(path)[0]

    assert finding.code == "consistent"
    assert "time" not in finding.detail["checked"]


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        check_exif(
            Path("x"), claims(captured_at=datetime(2024, 5, 1)), None, RECEIVED, Tolerances()
        )


def test_read_exif_gives_facts_for_display(tmp_path):
    facts = read_exif(photo(tmp_path, lat=-33.8568, lon=-151.2153))

    shown = facts.to_json()
    assert shown["taken_at"] == "2024-05-01T10:00:00+08:00"
    assert shown["gps_time"] == "2024-05-01T02:00:20+00:00"
    assert shown["gps_lat"] == pytest.approx(-33.8568, abs=1e-6)
    assert shown["gps_lon"] == pytest.approx(-151.2153, abs=1e-6)
    assert (shown["make"], shown["model"]) == ("Xiaomi", "2211133C")


def test_haversine_knows_beijing_to_shanghai():
    assert haversine_m(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)


def test_a_multi_megabyte_photo_is_checked_from_its_header(tmp_path):
    # How long the check takes, scripts/bench_ingest.py prints (exif_check_ms); a test only says
    # what it finds.
    path = tmp_path / "big.jpg"
    noise = Image.effect_noise((2000, 1500), 90).convert("RGB")
    noise.save(path, "JPEG", quality=95, exif=exif_block())
    assert path.stat().st_size > 2_000_000

    assert codes(check(path)) == ["consistent"]


@pytest.mark.parametrize("offset", ["+08:00", None])
def test_facts_recorded_at_upload_give_the_same_findings_at_finalise(tmp_path, offset):
    path = photo(tmp_path, taken="2024:05:01 10:10:30", offset=offset)
    facts = read_exif(path)
    again = ExifFacts.from_json(json.loads(json.dumps(facts.to_json())))

    assert again == facts  # a camera wall-clock time stays naive, an offset time stays aware
    assert compare_exif(again, claims(), STEP_STARTED, RECEIVED, Tolerances()) == check(path)


def test_facts_recorded_by_an_older_version_with_other_fields_still_read():
    recorded = {"has_exif": True, "make": "Huawei", "lens": "27mm"}  # a field no longer read
    assert ExifFacts.from_json(recorded) == ExifFacts(has_exif=True, make="Huawei")


# -- time zones: cameras write wall-clock time, phones send UTC --------------------------------

UTC_CLAIM = CAPTURED.astimezone(UTC)  # what the PWA sends: toISOString()


def test_phone_photo_in_china_without_offset_and_a_utc_claim_is_no_time_skew(tmp_path):
    # A real-style EXIF: 10:00 local (UTC+8), no OffsetTimeOriginal; the claim is 02:00:30Z.
    path = photo(tmp_path, offset=None)

    for device in (
        claims(captured_at=UTC_CLAIM, time_zone="Asia/Shanghai", utc_offset_min=480),
        claims(captured_at=UTC_CLAIM, utc_offset_min=480),  # a browser without zone names
        claims(captured_at=UTC_CLAIM),  # an older app: the agency's zone is the camera's
    ):
        [finding] = check(path, device)
        assert finding.code == "consistent", finding
        assert "+08:00" in finding.detail["notes"][0]


def test_device_zone_comes_before_the_agency_zone(tmp_path):
    # An officer on a trip to Urumqi whose phone is set to local time (UTC+6).
    path = photo(tmp_path, offset=None, taken="2024:05:01 08:00:00")
    device = claims(captured_at=UTC_CLAIM, time_zone="Asia/Urumqi")

    assert codes(check(path, device)) == ["consistent"]

    [skew] = check(path, claims(captured_at=UTC_CLAIM), step_started_at=None)  # Shanghai
    assert skew.code == "time_skew"
    assert skew.detail["zone"] == "Asia/Shanghai"
    assert skew.detail["zone_source"] == "agency"
    assert skew.detail["skew_s"] == pytest.approx(-7230)


def test_agency_zone_from_the_pack_is_used_and_never_utc(tmp_path):
    path = photo(tmp_path, offset=None, taken="2024:05:01 03:00:00", gps_utc=None)
    device = claims(captured_at=UTC_CLAIM)

    london = compare_exif(
        read_exif(path), device, None, RECEIVED, Tolerances(), agency_zone="Europe/London"
    )
    assert codes(london) == ["consistent"]  # 03:00 BST is 02:00Z
    [shanghai] = compare_exif(read_exif(path), device, None, RECEIVED, Tolerances())
    assert shanghai.code == "time_skew"


def test_a_bogus_device_zone_name_falls_back_to_the_agency_zone(tmp_path):
    path = photo(tmp_path, offset=None)
    device = claims(captured_at=UTC_CLAIM, time_zone="../../etc/passwd")

    assert codes(check(path, device)) == ["consistent"]


# -- a camera whose clock was never set --------------------------------------------------------


@pytest.mark.parametrize(
    "exif",
    [{"taken": "1998:01:01 00:00:00"}, {"taken": "1970:01:01 00:00:00", "offset": None}],
)
def test_camera_with_a_reset_clock_is_kept_with_a_finding(tmp_path, exif):
    [finding] = check(photo(tmp_path, **exif))

    assert finding.code == "camera_clock_unset"
    assert finding.detail["source"] == "DateTimeOriginal"


def test_gps_week_rollover_date_is_a_finding_not_a_refusal(tmp_path):
    found = check(photo(tmp_path, gps_utc=datetime(1998, 1, 1, tzinfo=UTC)))

    assert codes(found) == ["camera_clock_unset"]
    assert found[0].detail["source"] == "GPSDateTime"


# -- editing software, from the list in shared/ ------------------------------------------------


@pytest.mark.parametrize("software", ["醒图", "Hypic 5.2", "Meitu 9.9"])
def test_phone_editors_named_in_the_shared_list_are_edits(tmp_path, software):
    [finding] = check(photo(tmp_path, software=software))

    assert finding.code == "edited"


def test_editor_list_is_data_in_shared():
    listed = json.loads(EDITORS_FILE.read_text(encoding="utf-8"))
    names = {m for e in listed["editors"] for m in e["match"]}

    assert {"photoshop", "gimp", "lightroom", "snapseed", "美图", "醒图", "picsart"} <= names
    assert EDITORS_FILE.parent.parent.name == "shared"


PHOTOSHOP_XMP = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>
<xmpMM:History><rdf:Seq>
<rdf:li stEvt:action="created" stEvt:softwareAgent="Adobe Photoshop 25.0 (Windows)"/>
<rdf:li stEvt:action="saved" stEvt:softwareAgent="Adobe Photoshop 25.0 (Windows)" stEvt:changed="/"/>
</rdf:Seq></xmpMM:History></rdf:Description></rdf:RDF></x:xmpmeta>"""


def test_xmp_edit_history_is_an_edit_even_with_camera_software(tmp_path):
    path = tmp_path / "retouched.jpg"
    Image.new("RGB", (64, 48)).save(path, "JPEG", exif=exif_block(), xmp=PHOTOSHOP_XMP)

    [finding] = check(path)

    assert finding.code == "edited"
    assert finding.detail["source"] == "xmp_history"
    assert finding.detail["editor"] == "Adobe Photoshop"


def test_edits_are_found_without_any_claim(tmp_path):
    gimp = read_exif(photo(tmp_path, software="GIMP 2.10.34"))
    untouched = read_exif(photo(tmp_path, "camera.jpg"))

    assert codes(claim_free_findings(gimp)) == ["edited"]
    assert claim_free_findings(untouched) == []
