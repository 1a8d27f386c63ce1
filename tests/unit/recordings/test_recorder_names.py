"""Recorder file names, recording times, matching to case steps, and upload deadlines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backend.cases.rules import KINDS_DIR, RulePack, get_pack
from backend.evidence.deadlines import upload_deadline
from backend.evidence.media_probe import MediaInfo, probe
from backend.recordings.file_names import parse_recorder_name
from backend.recordings.matching import propose, step_windows
from backend.recordings.recording_times import recording_times
from backend.recordings.retention import retention
from tests.recorder_files import make_recording

BJ = ZoneInfo("Asia/Shanghai")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BJ)


@pytest.mark.parametrize(
    ("filename", "convention", "device", "officer", "start", "end"),
    [
        (
            "DSJ_0123456_20261120_093000.mp4",
            "dsj_device_time",
            "0123456",
            None,
            bj(2026, 11, 20, 9, 30),
            None,
        ),
        (
            "dsj_a77_20261120_235959_0002.MP4",
            "dsj_device_time",
            "A77",
            None,
            bj(2026, 11, 20, 23, 59, 59),
            None,
        ),
        (
            "3301A07_012345_20261120093000.MP4",
            "device_officer_time",
            "3301A07",
            "012345",
            bj(2026, 11, 20, 9, 30),
            None,
        ),
        (
            "3301A07_012345_20261120093000_0003.mov",
            "device_officer_time",
            "3301A07",
            "012345",
            bj(2026, 11, 20, 9, 30),
            None,
        ),
        (
            "XW01_20261120093000_20261120101500.mp4",
            "nvr_export",
            "XW01",
            None,
            bj(2026, 11, 20, 9, 30),
            bj(2026, 11, 20, 10, 15),
        ),
        ("20261120_093000_0001.MP4", "timestamp", None, None, bj(2026, 11, 20, 9, 30), None),
        ("VID_20261120_093000.mp4", "timestamp", None, None, bj(2026, 11, 20, 9, 30), None),
    ],
)
def test_recorder_file_names_give_device_officer_and_local_start(
    filename, convention, device, officer, start, end
):
    name = parse_recorder_name(filename)
    assert name is not None
    assert (name.convention, name.device, name.officer) == (convention, device, officer)
    assert name.started_at == start
    assert name.ended_at == end


def test_a_folder_path_is_ignored_and_only_the_base_name_is_read():
    name = parse_recorder_name("E:\\DCIM\\100MEDIA\\DSJ_0123456_20261120_093000.mp4")
    assert name is not None and name.device == "0123456"


@pytest.mark.parametrize(
    "filename",
    [
        "holiday.mp4",
        "DSJ_0123456_20261320_093000.mp4",  # month 13
        "XW01_20261120101500_20261120093000.mp4",  # ends before it starts
        "DSJ_0123456_20261120_093000.exe",
        "notes.txt",
    ],
)
def test_names_that_fit_no_convention_say_nothing(filename):
    assert parse_recorder_name(filename) is None


def info(created_at: datetime | None, duration_s: float | None = 600.0) -> MediaInfo:
    return MediaInfo(duration_s, "mp4", "h264", None, 64, 48, created_at, True, False)


def test_the_container_time_is_the_start_and_the_duration_gives_the_end():
    name = parse_recorder_name("DSJ_0123456_20261120_093000.mp4")
    times = recording_times(info(bj(2026, 11, 20, 9, 30, 30)), name)
    assert times.source == "container"
    assert times.started_at == bj(2026, 11, 20, 9, 30, 30)
    assert times.ended_at == bj(2026, 11, 20, 9, 40, 30)
    assert times.notes == ()


def test_a_recorder_that_writes_local_time_as_utc_is_read_by_its_file_name():
    name = parse_recorder_name("DSJ_0123456_20261120_093000.mp4")
    local_labelled_utc = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    times = recording_times(info(local_labelled_utc), name)
    assert times.source == "file_name"
    assert times.started_at == bj(2026, 11, 20, 9, 30)
    assert "container_time_written_as_local_time" in times.notes


def test_clocks_that_disagree_keep_the_container_time_and_say_by_how_much():
    name = parse_recorder_name("DSJ_0123456_20261120_093000.mp4")
    times = recording_times(info(bj(2026, 11, 20, 9, 45)), name)
    assert times.source == "container"
    assert times.notes == ("file_name_time_differs_by_900s",)


def test_without_container_time_the_file_name_then_the_file_mtime_is_used():
    fixed = parse_recorder_name("XW01_20261120093000_20261120101500.mp4")
    times = recording_times(info(None, None), fixed)
    assert (times.started_at, times.ended_at, times.source) == (
        bj(2026, 11, 20, 9, 30),
        bj(2026, 11, 20, 10, 15),
        "file_name",
    )
    mtime = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    times = recording_times(info(None, 60.0), None, mtime)
    assert (times.started_at, times.ended_at, times.source) == (
        mtime - timedelta(seconds=60),
        mtime,
        "file_modified",
    )
    assert recording_times(info(None), None).source == "none"


def test_a_real_mp4_has_the_creation_time_we_wrote(tmp_path: Path):
    start = bj(2026, 11, 20, 9, 30)
    path = make_recording(tmp_path / "DSJ_0123456_20261120_093000.mp4", start, seconds=3)
    got = probe(path)
    times = recording_times(got, parse_recorder_name(path.name))
    assert times.started_at == start
    assert times.ended_at == start + timedelta(seconds=3)


def case_entries() -> list[dict]:
    def entry(n: int, kind: str, payload: dict, claimed_time: str | None = None) -> dict:
        return {
            "hash": f"{n:064x}",
            "kind": kind,
            "payload": payload,
            "claimed": {"time": claimed_time} if claimed_time else None,
            "received_at": "2026-11-21T00:00:00Z",
            "corrects": None,
        }

    return [
        entry(1, "case.opened", {"title": "欠薪案", "agency_id": "hebei-hrss"}),
        entry(
            2,
            "record.inquiry",
            {"started_at": "2026-11-20T01:30:00Z", "ended_at": "2026-11-20T02:10:00Z"},
        ),
        entry(3, "record.rights_notice", {}, "2026-11-20T06:00:00Z"),
    ]


def test_a_recording_overlapping_an_inquiry_is_proposed_for_that_step():
    pack = get_pack("hebei-hrss")
    windows = step_windows("case-1", case_entries(), pack)
    got = propose(bj(2026, 11, 20, 9, 40), bj(2026, 11, 20, 10, 0), windows)
    assert [(p.case_id, p.kind, p.step, p.for_entry) for p in got] == [
        ("case-1", "record.inquiry", "investigation_record", f"{2:064x}")
    ]
    assert got[0].case_title == "欠薪案"
    assert got[0].overlap_s == 20 * 60


def test_a_record_with_only_a_moment_matches_a_recording_around_it():
    windows = step_windows("case-1", case_entries(), get_pack("hebei-hrss"))
    got = propose(bj(2026, 11, 20, 13, 50), bj(2026, 11, 20, 14, 5), windows)
    assert [p.kind for p in got] == ["record.rights_notice"]


def test_a_recording_at_another_time_matches_nothing():
    windows = step_windows("case-1", case_entries(), get_pack("hebei-hrss"))
    assert propose(bj(2026, 11, 20, 20, 0), bj(2026, 11, 20, 21, 0), windows) == []
    assert propose(None, None, windows) == []


def typed_up_later(kind: str, payload: dict) -> list[dict]:
    """A case whose one record was submitted back at the office, hours after the step itself."""
    return [
        {"hash": f"{1:064x}", "kind": "case.opened", "payload": {"title": "欠薪案"}},
        {
            "hash": f"{2:064x}",
            "kind": kind,
            "kind_version": 1,
            "payload": payload,
            "claimed": {"time": "2026-11-20T10:00:00Z"},  # 18:00 Beijing, at the desk
            "received_at": "2026-11-20T10:00:05Z",
            "corrects": None,
        },
    ]


def test_a_service_left_at_the_residence_matches_the_video_of_the_visit_not_of_the_typing():
    windows = step_windows(
        "case-1",
        typed_up_later(
            "record.service_left_at_residence",
            {"served_at": "2026-11-20T06:00:00Z", "document_name": "行政处罚决定书"},
        ),
        get_pack("hebei-hrss"),
    )
    at_the_door = propose(bj(2026, 11, 20, 13, 55), bj(2026, 11, 20, 14, 10), windows)
    assert [p.kind for p in at_the_door] == ["record.service_left_at_residence"]
    at_the_desk = propose(bj(2026, 11, 20, 17, 55), bj(2026, 11, 20, 18, 5), windows)
    assert at_the_desk == []


def test_an_inquiry_and_an_onsite_inspection_match_by_the_times_they_record():
    for kind in ("record.inquiry", "record.onsite_inspection"):
        windows = step_windows(
            "case-1",
            typed_up_later(
                kind, {"started_at": "2026-11-20T01:30:00Z", "ended_at": "2026-11-20T03:00:00Z"}
            ),
            get_pack("hebei-hrss"),
        )
        [during] = propose(bj(2026, 11, 20, 10, 0), bj(2026, 11, 20, 10, 30), windows)
        assert during.kind == kind and during.overlap_s == 30 * 60
        assert propose(bj(2026, 11, 20, 17, 50), bj(2026, 11, 20, 18, 0), windows) == []


def test_a_postal_service_matches_the_posting_not_the_recipients_signature():
    windows = step_windows(
        "case-1",
        typed_up_later(
            "record.service_postal",
            {"posted_at": "2026-11-20T02:00:00Z", "served_at": "2026-11-23T02:00:00Z"},
        ),
        None,
    )
    assert [p.kind for p in propose(bj(2026, 11, 20, 10, 0), bj(2026, 11, 20, 10, 5), windows)]
    assert propose(bj(2026, 11, 23, 10, 0), bj(2026, 11, 23, 10, 5), windows) == []


def test_a_record_without_its_optional_time_falls_back_to_when_it_was_claimed():
    windows = step_windows(
        "case-1", typed_up_later("record.service_entrusted", {"recipient": "王某"}), None
    )
    assert propose(bj(2026, 11, 20, 17, 50), bj(2026, 11, 20, 18, 0), windows)


def test_every_record_kind_with_a_time_says_which_one_is_when_the_step_happened():
    """New record kinds must declare x-time-window or x-moment (null: none of them)."""
    for path in sorted(KINDS_DIR.glob("record.*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        props = schema.get("properties", {})
        times = {k for k, v in props.items() if v.get("format") == "date-time"}
        if not times:
            continue
        assert "x-time-window" in schema or "x-moment" in schema, f"{path.name} declares no time"
        named = schema.get("x-time-window") or schema.get("x-moment") or []
        named = [named] if isinstance(named, str) else named
        assert set(named) <= times, f"{path.name} names a field that is no date-time"


def custody_deadline(pack: RulePack, *times_and_reason):
    """The upload deadline as a recording's custody entry states it."""
    return upload_deadline(pack.deadlines, *times_and_reason).to_custody_json()


def test_24_hour_pack_flags_an_import_a_day_and_a_half_after_the_end():
    pack = get_pack("hebei-hrss")
    end = bj(2026, 11, 20, 10, 0)
    on_time = custody_deadline(pack, end, end + timedelta(hours=23))
    assert not on_time["late"] and on_time["deadline"] == "2026-11-21T02:00:00.000000Z"
    late = custody_deadline(pack, end, end + timedelta(hours=36))
    assert late["late"] and late["late_by_h"] == 12.0
    assert late["citation"]["article"] == 13
    assert late["rule_en"] == "AV must be uploaded within 24 h"


def test_two_working_day_pack_skips_the_weekend():
    pack = get_pack("zhengxiang-hrss")
    friday_end = bj(2026, 11, 20, 17, 0)  # a Friday
    due = custody_deadline(pack, friday_end, friday_end)["deadline"]
    assert due.startswith("2026-11-24T15:59:59")  # Tuesday, end of the Beijing day
    monday = bj(2026, 11, 23, 12, 0)
    assert not custody_deadline(pack, friday_end, monday)["late"]
    wednesday = bj(2026, 11, 25, 9, 0)
    late = custody_deadline(pack, friday_end, wednesday)
    assert late["late"] and late["late_by_h"] == 9.0 and late["basis"] == "working_days"


def test_after_a_remote_area_the_deadline_runs_from_the_return():
    pack = get_pack("zhengxiang-hrss")
    end = bj(2026, 11, 10, 17, 0)
    back = bj(2026, 11, 24, 8, 0)
    got = custody_deadline(pack, end, back + timedelta(hours=20), back, "山区巡查无信号")
    assert not got["late"] and got["basis"] == "remote_area_return"
    assert got["reason"] == "山区巡查无信号"


def test_patrol_recordings_are_kept_six_months_and_case_evidence_with_the_dossier():
    pack = get_pack("hebei-hrss")
    patrol = retention(pack, "patrol_av", datetime(2026, 11, 20, tzinfo=UTC))
    assert patrol["period"] == "P6M"
    assert patrol["until"].startswith("2027-05-20")
    evidence = retention(pack, "evidence_av", None)
    assert evidence["period"] == "same_as_dossier" and evidence["until"] is None
