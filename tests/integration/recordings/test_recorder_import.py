"""Officers hand in body-worn recorder and fixed-camera files; supervisors see custody and deadlines.

Drives the real app over HTTP: tus upload with `case_id = agency:<id>`, then `POST /api/recordings`,
then confirming proposals with `POST /api/recordings/{sha256}/links`.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.identity.access import Principal
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.timelines import agency_timeline
from backend.recordings import import_tokens
from tests.recorder_files import make_recording

BJ = ZoneInfo("Asia/Shanghai")
# A Friday morning inquiry, recorded on a body-worn recorder.
INQUIRY_START = datetime(2026, 11, 20, 9, 30, tzinfo=BJ)


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def iso(moment: datetime) -> str:
    return utc_iso(moment)


class Desk:
    """The import screen's calls, made as whoever `as_` says is signed in."""

    def __init__(self, client: AsyncTestClient, app: Any, agency: str, box: dict) -> None:
        self.client, self.app, self.agency, self.box = client, app, agency, box

    def as_(self, staff_id: str, *roles: str) -> Desk:
        self.box["user"] = Principal(staff_id, self.agency, staff_id, frozenset(roles))
        return self

    async def on_server(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """Run a coroutine function on the app's own event loop (where its database pool lives)."""
        return self.client.blocking_portal.call(lambda: fn(*args, **kw))

    def at(self, moment: datetime) -> Desk:
        """Fix the server clock (received_at, deadlines) at `moment`."""
        self.app.state.ledger.clock = lambda: moment.astimezone(UTC)
        return self

    async def open_case(self, title: str, officers: list[str] = ()) -> str:
        response = await self.client.post(
            "/api/cases",
            json={
                "client_id": str(uuid.uuid4()),
                "title": title,
                "enforcement_kind": "penalty",
                "parties": [],
                "officers": list(officers),
            },
        )
        assert response.status_code == 201, response.text
        return response.json()["case_id"]

    async def record(
        self, case_id: str, kind: str, payload: dict, claimed: dict | None = None
    ) -> Entry:
        """A record on the case by the signed-in officer, straight onto the ledger (records are
        not under test here)."""
        draft = Draft(
            case_id=case_id,
            kind=kind,
            client_id=str(uuid.uuid4()),
            payload=payload,
            actor=self.box["user"].staff_id,
            claimed=claimed,
        )
        return await self.on_server(self.app.state.ledger.append, draft)

    async def inquiry(self, case_id: str, start: datetime, minutes: int = 40) -> str:
        """An inquiry record on the case."""
        payload = {
            "person": "李某",
            "transcript": "问：……答：……",
            "started_at": iso(start),
            "ended_at": iso(start + timedelta(minutes=minutes)),
        }
        return (await self.record(case_id, "record.inquiry", payload)).hash

    async def upload(self, path: Path, client_id: str, media_type: str = "video/mp4"):
        data = path.read_bytes()
        meta = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "media_type": media_type,
            "case_id": f"agency:{self.agency}",
            "client_id": client_id,
            "filename": path.name,
        }
        created = await self.client.post(
            "/api/uploads",
            headers={
                "Tus-Resumable": "1.0.0",
                "Upload-Length": str(len(data)),
                "Upload-Metadata": ",".join(f"{k} {b64(v)}" for k, v in meta.items()),
            },
        )
        if created.status_code != 201:
            return created
        return await self.client.patch(
            created.headers["location"],
            content=data,
            headers={
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )

    async def hand_in(self, path: Path, **extra: Any):
        """What the page and the CLI do per file: check by hash, upload if new, then import."""
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        known = (await self.client.post("/api/recordings/check", json={"sha256": [sha]})).json()
        client_id = str(uuid.uuid4())
        if not known[sha]["imported"]:
            sent = await self.upload(path, client_id)
            if sent.status_code != 204:
                return sent
        return await self.client.post(
            "/api/recordings",
            json={
                "client_id": client_id,
                "sha256": sha,
                "filename": path.name,
                "media_type": "video/mp4",
                "computer": "PC-执法室-01",
                "via": "cli",
                **extra,
            },
        )

    async def link(self, sha: str, case_id: str, for_entry: str | None = None):
        return await self.client.post(
            f"/api/recordings/{sha}/links",
            json={"case_id": case_id, "for_entry": for_entry, "client_id": str(uuid.uuid4())},
        )

    async def note(self, case_id: str, text: str, blobs: list[str]):
        return await self.client.post(
            f"/api/cases/{case_id}/entries",
            json={"kind": "note", "client_id": str(uuid.uuid4()), "payload": {"text": text},
                  "blobs": blobs},
        )  # fmt: skip

    async def entries(self, case_id: str) -> list[dict]:
        return [
            {"hash": e.hash, **e.body}
            for e in await self.on_server(self.app.state.ledger.whole_timeline, case_id)
        ]

    async def agency_entries(self, kind: str) -> list[dict]:
        found = await self.on_server(
            self.app.state.ledger.of_kinds, [agency_timeline(self.agency)], [kind]
        )
        return [{"hash": e.hash, **e.body} for e in found]

    def blob_count(self) -> int:
        root = self.app.state.blobs.root
        return sum(1 for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp")


async def desk_for(settings, agency: str):
    app = create_app(settings)
    box: dict = {}

    async def with_user(scope, receive, send):
        if scope["type"] in ("http", "websocket") and box.get("user") is not None:
            scope["user"] = box["user"]
        await app(scope, receive, send)

    with_user.debug = app.debug  # type: ignore[attr-defined]
    client = AsyncTestClient(app=app, base_url="http://localhost:8000")
    await client.__aenter__()
    client.app = with_user  # type: ignore[assignment]
    return Desk(client, app, agency, box), client


@pytest.fixture
async def hebei(settings):
    desk, client = await desk_for(settings, "hebei-hrss")
    yield desk.as_("E001", "officer")
    await client.__aexit__(None, None, None)


@pytest.fixture
async def zhengxiang(settings):
    desk, client = await desk_for(settings, "zhengxiang-hrss")
    yield desk.as_("Z001", "officer")
    await client.__aexit__(None, None, None)


def sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_an_officer_imports_a_shift_and_confirms_the_proposed_case(hebei, tmp_path):
    desk = hebei.at(INQUIRY_START - timedelta(hours=1))
    case_id = await desk.open_case("某公司拖欠工资案", officers=["E002"])
    inquiry = await desk.inquiry(case_id, INQUIRY_START)
    inquiry_file = make_recording(
        tmp_path / "DSJ_0123456_20261120_093500.mp4", INQUIRY_START + timedelta(minutes=5)
    )
    patrol_file = make_recording(
        tmp_path / "DSJ_0123456_20261120_150000.mp4",
        datetime(2026, 11, 20, 15, 0, tzinfo=BJ),
        shade=7,
    )
    desk.at(datetime(2026, 11, 20, 18, 0, tzinfo=BJ))

    response = await desk.hand_in(inquiry_file, device="DSJ-0123456")
    assert response.status_code == 201, response.text
    answer = response.json()
    custody = answer["recording"]
    assert answer["status"] == "imported"
    assert custody["filename"] == inquiry_file.name
    assert custody["sha256"] == sha_of(inquiry_file)
    assert custody["imported_by"] == "E001" and custody["officer"] == "E001"
    assert custody["computer"] == "PC-执法室-01" and custody["via"] == "cli"
    assert custody["device"] == {"number": "0123456", "registered": False, "type": None}
    assert custody["started_at"] == iso(INQUIRY_START + timedelta(minutes=5))
    assert custody["ended_at"] == iso(INQUIRY_START + timedelta(minutes=5, seconds=2))
    assert custody["time_source"] == "container"
    assert custody["deadline"]["late"] is False
    assert custody["retention"]["class"] == "patrol_av"
    assert custody["imported_at"] == iso(datetime(2026, 11, 20, 18, 0, tzinfo=BJ))
    assert [(p["case_id"], p["for_entry"], p["kind"]) for p in answer["proposals"]] == [
        (case_id, inquiry, "record.inquiry")
    ]

    # Custody is on the agency timeline, holding the blob.
    [imported] = await desk.agency_entries("recording.imported")
    assert imported["blobs"] == [sha_of(inquiry_file)]
    assert imported["actor"] == "E001" and imported["device"] == "0123456"

    linked = await desk.link(sha_of(inquiry_file), case_id, inquiry)
    assert linked.status_code == 201, linked.text
    entry = linked.json()
    assert entry["kind"] == "recording.linked" and entry["case_id"] == case_id
    assert entry["payload"]["step"] == "record.inquiry"
    assert entry["payload"]["pack_step"] == "investigation_record"
    assert entry["payload"]["imported_entry"] == imported["hash"]
    assert entry["payload"]["retention"]["class"] == "evidence_av"
    assert entry["payload"]["retention"]["replaces"] == "patrol_av"
    assert entry["blobs"] == [sha_of(inquiry_file)]
    assert (await desk.entries(case_id))[-1]["hash"] == entry["hash"]

    patrol = (await desk.hand_in(patrol_file, device="DSJ-0123456")).json()
    assert patrol["proposals"] == []
    assert patrol["recording"]["retention"]["period"] == "P6M"
    assert patrol["recording"]["retention"]["until"].startswith("2027-05-20")

    # Linked, the recording is the case's to name; the patrol file, never linked, is not.
    named = await desk.note(case_id, "询问录像已关联", blobs=[sha_of(inquiry_file)])
    assert named.status_code == 201, named.text
    unlinked = await desk.note(case_id, "巡查录像", blobs=[sha_of(patrol_file)])
    assert unlinked.status_code == 403 and unlinked.json()["code"] == "blob_not_in_case"

    # The supervisor sees both files, and only the patrol one on the unassigned list.
    desk.as_("S001", "supervisor")
    every = (await desk.client.get("/api/recordings")).json()
    assert {r["filename"]: [c["case_id"] for c in r["cases"]] for r in every} == {
        inquiry_file.name: [case_id],
        patrol_file.name: [],
    }
    unassigned = (await desk.client.get("/api/recordings?unassigned=true")).json()
    assert [r["filename"] for r in unassigned] == [patrol_file.name]


async def test_a_service_typed_up_later_gets_the_video_of_the_visit_not_of_the_office(
    hebei, tmp_path
):
    desk = hebei.at(INQUIRY_START - timedelta(hours=1))
    case_id = await desk.open_case("某公司拖欠工资案")
    served_at = datetime(2026, 11, 20, 14, 0, tzinfo=BJ)
    back_at_the_office = served_at + timedelta(hours=2)
    desk.at(back_at_the_office)
    service = await desk.record(
        case_id,
        "record.service_left_at_residence",
        {
            "document_name": "行政处罚决定书",
            "recipient": "王某",
            "refusal_reason": "拒绝签收",
            "served_at": iso(served_at),
            "place": "王某住所",
        },
        claimed={"time": iso(back_at_the_office), "clock_offset_ms": 0, "geo": None},
    )
    at_the_door = make_recording(tmp_path / "DSJ_0123456_20261120_140000.mp4", served_at)
    typing_it_up = make_recording(
        tmp_path / "DSJ_0123456_20261120_155500.mp4",
        back_at_the_office - timedelta(minutes=5),
        shade=5,
    )

    door = (await desk.hand_in(at_the_door, device="DSJ-0123456")).json()
    assert [(p["case_id"], p["for_entry"]) for p in door["proposals"]] == [(case_id, service.hash)]
    office = (await desk.hand_in(typing_it_up, device="DSJ-0123456")).json()
    assert office["proposals"] == []


async def test_a_supervisors_monthly_spot_check_samples_the_imported_recorder_files(
    hebei, tmp_path
):
    desk = hebei.at(INQUIRY_START - timedelta(hours=1))
    case_id = await desk.open_case("某公司拖欠工资案", officers=["E002"])
    inquiry = await desk.inquiry(case_id, INQUIRY_START)
    files = [
        make_recording(
            tmp_path / f"DSJ_0123456_20261120_{9 + n:02d}3500.mp4",
            INQUIRY_START + timedelta(hours=n, minutes=5),
            shade=n,
        )
        for n in range(5)
    ]
    desk.at(datetime(2026, 11, 20, 18, 0, tzinfo=BJ))
    for path in files:
        assert (await desk.hand_in(path, device="DSJ-0123456")).status_code == 201
    assert (await desk.link(sha_of(files[0]), case_id, inquiry)).status_code == 201
    # A second reference from the same case is still one recording in the pool.
    assert (await desk.link(sha_of(files[0]), case_id)).status_code == 201

    desk.as_("S001", "supervisor")
    response = await desk.client.post("/api/review/spot-checks/draw", json={"period": "2026-11"})
    assert response.status_code == 201, response.text
    [draw] = [d["payload"] for d in response.json() if d["payload"]["officer"] == "E001"]
    assert draw["population"] == 5
    assert 0 < draw["quota"] == len(draw["items"])
    assert {i["sha256"] for i in draw["items"]} <= {sha_of(p) for p in files}
    on_the_case = {i["case_id"] for i in draw["items"] if i["sha256"] == sha_of(files[0])}
    assert on_the_case <= {case_id}

    # Anyone holding the ledger can redraw the same sample.
    from backend.review import spotchecks

    pool = await desk.on_server(spotchecks.recordings_by_officer, "hebei-hrss", "2026-11")
    candidates = [e.hash for e in pool["E001"]]
    assert draw["seed"] == spotchecks.draw_seed("hebei-hrss", "2026-11", "E001", candidates)
    assert [i["entry_hash"] for i in draw["items"]] == spotchecks.draw_sample(
        draw["seed"], candidates, draw["quota"]
    )


async def test_one_patrol_recording_is_stored_once_and_referenced_from_two_cases(hebei, tmp_path):
    desk = hebei.at(INQUIRY_START - timedelta(hours=2))
    first = await desk.open_case("甲公司检查")
    second = await desk.open_case("乙公司检查")
    a = await desk.inquiry(first, INQUIRY_START - timedelta(minutes=10), minutes=20)
    b = await desk.inquiry(second, INQUIRY_START + timedelta(minutes=2), minutes=20)
    video = make_recording(tmp_path / "3301A07_012345_20261120093000.MP4", INQUIRY_START, 4)
    desk.at(INQUIRY_START + timedelta(hours=3))
    answer = (await desk.hand_in(video, device="3301A07")).json()
    assert answer["recording"]["officer_number"] == "012345"
    assert {p["case_id"] for p in answer["proposals"]} == {first, second}
    blobs_before = desk.blob_count()
    assert (await desk.link(sha_of(video), first, a)).status_code == 201
    assert (await desk.link(sha_of(video), second, b)).status_code == 201
    assert desk.blob_count() == blobs_before
    again = await desk.link(sha_of(video), second, b)
    assert again.status_code == 409 and again.json()["code"] == "already_linked"
    view = (await desk.client.get(f"/api/recordings/{sha_of(video)}")).json()
    assert sorted(c["case_id"] for c in view["recording"]["cases"]) == sorted([first, second])
    assert all(p["linked"] for p in view["proposals"])
    # Whoever may read either case plays it from the case timeline, with seeking.
    played = await desk.client.get(f"/api/blobs/{sha_of(video)}", headers={"Range": "bytes=0-99"})
    assert played.status_code == 206 and len(played.content) == 100


async def test_a_second_hand_over_of_the_same_file_is_reported_not_stored(hebei, tmp_path):
    desk = hebei.at(INQUIRY_START + timedelta(hours=1))
    video = make_recording(tmp_path / "DSJ_0123456_20261120_093000.mp4", INQUIRY_START)
    first = await desk.hand_in(video)
    assert first.status_code == 201
    blobs = desk.blob_count()
    # Another officer, another computer, the same bytes under another name.
    copy = tmp_path / "copy" / "DSJ_0123456_20261120_093000(1).mp4"
    copy.parent.mkdir()
    copy.write_bytes(video.read_bytes())
    desk.as_("E002", "officer")
    again = await desk.hand_in(copy)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["status"] == "duplicate"
    assert body["recording"]["entry_hash"] == first.json()["recording"]["entry_hash"]
    assert body["recording"]["filename"] == video.name
    assert desk.blob_count() == blobs
    assert len(await desk.agency_entries("recording.imported")) == 1
    [dup] = await desk.agency_entries("recording.duplicate")
    assert dup["actor"] == "E002" and dup["payload"]["filename"] == copy.name


async def test_resending_an_import_returns_the_first_answer(hebei, tmp_path):
    desk = hebei.at(INQUIRY_START + timedelta(hours=1))
    video = make_recording(tmp_path / "DSJ_0123456_20261120_093000.mp4", INQUIRY_START)
    client_id = str(uuid.uuid4())
    assert (await desk.upload(video, client_id)).status_code == 204
    body = {
        "client_id": client_id,
        "sha256": sha_of(video),
        "filename": video.name,
        "media_type": "video/mp4",
    }
    one = await desk.client.post("/api/recordings", json=body)
    two = await desk.client.post("/api/recordings", json=body)
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["recording"]["entry_hash"] == two.json()["recording"]["entry_hash"]
    assert len(await desk.agency_entries("recording.duplicate")) == 0


async def test_24_hour_pack_flags_a_late_import_with_hours_and_reason(hebei, tmp_path):
    desk = hebei
    video = make_recording(tmp_path / "DSJ_0123456_20261120_093000.mp4", INQUIRY_START)
    end = INQUIRY_START + timedelta(seconds=2)
    desk.at(end + timedelta(hours=36))
    answer = (
        await desk.hand_in(
            video, late_reason="continuous_duty", late_reason_text="连续执勤两天，无法返回单位"
        )
    ).json()
    deadline = answer["recording"]["deadline"]
    assert deadline["late"] is True and deadline["late_by_h"] == 12.0
    assert deadline["basis"] == "hours" and deadline["citation"]["article"] == 13
    assert answer["recording"]["late_reason"] == "continuous_duty"
    assert answer["recording"]["late_reason_text"] == "连续执勤两天，无法返回单位"
    assert "late_without_reason" not in answer["recording"]["notes"]


async def test_late_without_a_reason_is_imported_and_flagged(hebei, tmp_path):
    video = make_recording(tmp_path / "DSJ_0123456_20261120_093000.mp4", INQUIRY_START)
    hebei.at(INQUIRY_START + timedelta(hours=30))
    answer = (await hebei.hand_in(video)).json()
    assert answer["recording"]["deadline"]["late"] is True
    assert "late_without_reason" in answer["recording"]["notes"]


async def test_two_working_day_pack_counts_over_the_weekend(zhengxiang, tmp_path):
    desk = zhengxiang
    friday = make_recording(tmp_path / "DSJ_77_20261120_093000.mp4", INQUIRY_START)
    desk.at(datetime(2026, 11, 23, 10, 0, tzinfo=BJ))  # Monday
    on_time = (await desk.hand_in(friday)).json()["recording"]["deadline"]
    assert on_time["late"] is False and on_time["basis"] == "working_days"
    assert on_time["deadline"].startswith("2026-11-24T15:59:59")  # Tuesday 23:59:59 Beijing
    later = make_recording(tmp_path / "DSJ_77_20261120_100000.mp4", INQUIRY_START, shade=9)
    desk.at(datetime(2026, 11, 25, 12, 0, tzinfo=BJ))  # Wednesday noon
    late = (await desk.hand_in(later)).json()["recording"]["deadline"]
    assert late["late"] is True and late["late_by_h"] == 12.0


async def test_after_a_remote_area_the_deadline_runs_from_the_return(zhengxiang, tmp_path):
    video = make_recording(tmp_path / "DSJ_77_20261110_093000.mp4", INQUIRY_START - timedelta(10))
    back = datetime(2026, 11, 24, 8, 0, tzinfo=BJ)
    zhengxiang.at(back + timedelta(hours=20))
    answer = await zhengxiang.hand_in(
        video,
        late_reason="remote_area",
        late_reason_text="山区巡查无信号",
        remote_area_return_at=iso(back),
    )
    deadline = answer.json()["recording"]["deadline"]
    assert deadline["late"] is False and deadline["basis"] == "remote_area_return"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("DSJ_0123456_20261120_093000.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000),
        ("DSJ_0123456_20261120_093000.mp4", b"this is a shopping list, not a video\n" * 50),
    ],
    ids=["corrupt-mp4", "text-named-mp4"],
)
async def test_a_corrupt_or_non_media_file_is_refused_and_changes_nothing(
    hebei, tmp_path, name, data
):
    path = tmp_path / name
    path.write_bytes(data)
    blobs = hebei.blob_count()
    refused = await hebei.hand_in(path)
    assert refused.status_code in (415, 422), refused.text
    assert refused.json()["code"] in ("type_mismatch", "unreadable_media")
    # The officer reads why in both languages, and nothing of where the server keeps files.
    said = refused.json()
    assert said["detail"]["message_zh"] in said["message"]
    assert said["detail"]["message_en"] in said["message"]
    assert str(tmp_path) not in refused.text and "/data" not in refused.text
    assert hebei.blob_count() == blobs
    assert await hebei.agency_entries("recording.imported") == []
    # And importing it anyway (no finished upload) changes nothing either.
    again = await hebei.client.post(
        "/api/recordings",
        json={
            "client_id": str(uuid.uuid4()),
            "sha256": sha_of(path),
            "filename": name,
            "media_type": "video/mp4",
        },
    )
    assert again.status_code == 404 and again.json()["code"] == "upload_not_found"
    assert await hebei.agency_entries("recording.imported") == []


@pytest.mark.parametrize(
    "name, data, media_type",
    [
        ("IMG_0001.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 600, "image/jpeg"),
        ("IMG_0002.PNG", b"\x89PNG\r\n\x1a\n" + b"garbage!" * 80, "image/png"),
    ],
    ids=["jpeg-that-is-not", "png-that-is-not"],
)
async def test_a_broken_photo_is_refused_in_words_without_the_servers_paths(
    hebei, tmp_path, name, data, media_type
):
    path = tmp_path / name
    path.write_bytes(data)
    refused = await hebei.upload(path, str(uuid.uuid4()), media_type)
    assert refused.status_code in (415, 422), refused.text
    said = refused.json()
    assert said["code"] in ("unsafe_image", "type_mismatch")
    assert said["detail"]["message_zh"] and said["detail"]["message_en"]
    assert str(tmp_path) not in refused.text and "uploads/" not in refused.text


async def test_a_registered_fixed_camera_imports_for_the_officer_it_names(hebei, tmp_path):
    from backend.evidence import devices

    desk = hebei.at(INQUIRY_START - timedelta(hours=1))
    await desk.on_server(
        devices.register_device,
        desk.app.state.ledger,
        "hebei-hrss",
        client_id=str(uuid.uuid4()),
        number="XW01",
        type="fixed_camera",
        actor="A001",
    )
    case_id = await desk.open_case("询问室案")
    inquiry = await desk.inquiry(case_id, INQUIRY_START)
    room = make_recording(tmp_path / "XW01_20261120093000_20261120101000.mp4", None, seconds=3)
    desk.at(INQUIRY_START + timedelta(hours=2))
    answer = (await desk.hand_in(room)).json()
    rec = answer["recording"]
    assert rec["device"] == {"number": "XW01", "registered": True, "type": "fixed_camera"}
    assert rec["time_source"] == "file_name"
    assert rec["started_at"] == iso(INQUIRY_START)
    assert rec["ended_at"] == iso(datetime(2026, 11, 20, 10, 10, tzinfo=BJ))
    assert [p["for_entry"] for p in answer["proposals"]] == [inquiry]


async def test_officers_see_their_own_recordings_and_cannot_link_to_others_cases(hebei, tmp_path):
    desk = hebei.at(INQUIRY_START - timedelta(hours=1))
    theirs = await desk.open_case("别人的案件")
    desk.as_("E009", "officer")
    video = make_recording(tmp_path / "DSJ_9_20261120_093000.mp4", INQUIRY_START)
    desk.at(INQUIRY_START + timedelta(hours=1))
    assert (await desk.hand_in(video)).status_code == 201
    refused = await desk.link(sha_of(video), theirs)
    assert refused.status_code == 403 and refused.json()["code"] == "not_case_member"
    desk.as_("E001", "officer")
    assert (await desk.client.get("/api/recordings")).json() == []
    forbidden = await desk.client.get("/api/recordings?officer=E009")
    assert forbidden.status_code == 403
    assert (await desk.client.get(f"/api/recordings/{sha_of(video)}")).status_code == 404


async def test_an_import_token_acts_for_its_officer_only_on_import_routes(hebei, tmp_path):
    from backend.identity.staff import create_staff

    desk = hebei.at(datetime.now(UTC))
    await desk.on_server(create_staff, "E001", "hebei-hrss", "张执法", ["officer"])
    issued = await desk.client.post("/api/recordings/import-tokens", json={"label": "PC-01"})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    [entry] = await desk.agency_entries("recording.import_token")
    assert token not in str(entry) and entry["payload"]["officer"] == "E001"
    desk.box["user"] = None  # no session: only the token
    bearer = {"Authorization": f"Bearer {token}"}
    me = await desk.client.get("/api/recordings/me", headers=bearer)
    assert me.json() == {"staff_id": "E001", "agency_id": "hebei-hrss", "via_token": True}
    wrong = await desk.client.get("/api/recordings/me", headers={"Authorization": "Bearer ctimp_x"})
    assert wrong.status_code == 401
    assert (await desk.client.get("/api/cases", headers=bearer)).status_code == 401
    made = await desk.client.post("/api/recordings/import-tokens", json={}, headers=bearer)
    assert made.status_code == 401
    for_other = await desk.client.post(
        "/api/recordings",
        headers=bearer,
        json={"client_id": "x", "sha256": "0" * 64, "filename": "a.mp4",
              "media_type": "video/mp4", "officer": "E002"},
    )  # fmt: skip
    assert for_other.status_code == 403 and for_other.json()["code"] == "token_scope"
    holder = await desk.on_server(
        import_tokens.import_token_holder, token, datetime.now(UTC) + timedelta(hours=13)
    )
    assert holder is None  # expired after 12 hours
    await desk.on_server(_deactivate, "E001")
    desk.box["user"] = None
    gone = await desk.client.get("/api/recordings/me", headers=bearer)
    assert gone.status_code == 401


async def _deactivate(staff_id: str) -> None:
    from backend.identity.tables import Staff

    await Staff.update({Staff.active: False}).where(Staff.staff_id == staff_id)


# -- issue 17 item 6: recorder files as they come -----------------------------------------------


async def register(desk: Desk, number: str, assigned_to: str | None = None):
    from backend.evidence import devices

    return await desk.on_server(
        devices.register_device,
        desk.app.state.ledger,
        desk.agency,
        client_id=str(uuid.uuid4()),
        number=number,
        type="body_camera",
        actor="A001",
        assigned_to=assigned_to,
    )


@pytest.mark.parametrize(
    "typed", ["DSJ-0123456", "dsj_0123456", "ＤＳＪ－０１２３４５６", "0123456"]
)
async def test_a_recorder_registered_by_its_bare_number_matches_the_readme_import(
    hebei, tmp_path, typed
):
    desk = hebei.at(INQUIRY_START)
    await register(desk, "0123456", assigned_to="E007")
    clip = make_recording(tmp_path / "DSJ_0123456_20261120_093500.mp4", INQUIRY_START)

    answer = (await desk.hand_in(clip, device=typed)).json()

    rec = answer["recording"]
    assert rec["device"] == {"number": "0123456", "registered": True, "type": "body_camera"}
    assert rec["officer"] == "E007"  # the officer the recorder is assigned to, not the token's
    assert "device_not_registered" not in rec.get("notes", [])


async def test_one_recorder_cannot_be_registered_twice_under_two_spellings(hebei):
    from backend.errors import Conflict

    await register(hebei, "DSJ-0123456")

    with pytest.raises(Conflict) as clash:
        await register(hebei, "0123456")
    assert clash.value.code == "device_exists"


async def test_a_body_camera_mp4_named_mov_is_imported(hebei, tmp_path):
    desk = hebei.at(INQUIRY_START + timedelta(hours=1))
    clip = make_recording(tmp_path / "DSJ_0123456_20261120_093500.MOV", INQUIRY_START)
    sha = sha_of(clip)

    client_id = str(uuid.uuid4())
    sent = await desk.upload(clip, client_id, media_type="video/quicktime")
    assert sent.status_code == 204, sent.text  # refused before as type_mismatch
    answer = await desk.client.post(
        "/api/recordings",
        json={"client_id": client_id, "sha256": sha, "filename": clip.name,
              "media_type": "video/quicktime", "device": "DSJ-0123456", "via": "cli"},
    )  # fmt: skip

    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "imported"


async def test_rerunning_an_import_with_the_same_client_id_is_a_resume_not_a_duplicate(
    hebei, tmp_path
):
    desk = hebei.at(INQUIRY_START + timedelta(hours=1))
    clip = make_recording(tmp_path / "DSJ_0123456_20261120_093500.mp4", INQUIRY_START)
    sha = sha_of(clip)
    client_id = str(uuid.uuid4())  # the CLI's id for (officer, computer, file)
    assert (await desk.upload(clip, client_id)).status_code == 204
    body = {"client_id": client_id, "sha256": sha, "filename": clip.name,
            "media_type": "video/mp4", "computer": "PC-执法室-01", "via": "cli"}  # fmt: skip
    assert (await desk.client.post("/api/recordings", json=body)).status_code == 201

    resumed = await desk.client.post("/api/recordings", json=body)

    assert resumed.json()["status"] == "imported"
    assert await desk.agency_entries("recording.duplicate") == []
