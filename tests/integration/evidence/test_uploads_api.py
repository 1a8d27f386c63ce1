"""An officer's photos and recordings reach the timeline exactly once over tus; bad files get a clear 4xx."""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import zipfile
import zlib
from datetime import UTC, datetime, timedelta

import av
import pytest
from litestar.testing import AsyncTestClient
from PIL import ExifTags, Image

from tests.integration.evidence.conftest import Officer, iso, jpeg, make_officer_client


def exif_with(*, lat: float | None = None, taken: str | None = None) -> Image.Exif:
    exif = Image.Exif()
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    if lat is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps[ExifTags.GPS.GPSLatitude] = (float(lat), 0.0, 0.0)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps[ExifTags.GPS.GPSLongitude] = (116.0, 0.0, 0.0)
    return exif


def png_claiming(width: int, height: int, rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def webm_video(seconds: int = 1) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10 * seconds):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), (200, i * 8, 40)))
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return out.getvalue()


async def nothing_changed(me: Officer, case_id: str, entries_before: int) -> None:
    assert len(await me.timeline(case_id)) == entries_before
    assert me.blob_files() == []


# -- the good path --------------------------------------------------------------------------------


async def test_photo_uploaded_in_chunks_reaches_the_timeline_once_with_its_findings(officer):
    me = officer
    case_id = await me.open_case()
    data = jpeg((640, 480))
    created, meta = await me.create(case_id, data)
    assert created.status_code == 201
    location = created.headers["location"]
    assert location.startswith("/api/uploads/")
    for offset in range(0, len(data), 4096):
        r = await me.patch(location, offset, data[offset : offset + 4096])
        assert r.status_code == 204, r.text
        assert int(r.headers["upload-offset"]) == min(offset + 4096, len(data))
    first = await me.finalise(case_id, meta)
    assert first.status_code == 201, first.text
    entry = first.json()
    assert entry["kind"] == "media.photo"
    assert entry["blobs"] == [meta["sha256"]]
    assert entry["payload"]["findings"][0]["code"] == "no_exif"
    assert entry["payload"]["upload"]["late_by_h"] == 0
    again = await me.finalise(case_id, meta)
    assert again.status_code == 201
    assert again.json()["hash"] == entry["hash"]
    media = [e for e in await me.timeline(case_id) if e["kind"] == "media.photo"]
    assert len(media) == 1

    blob = await me.client.get(f"/api/blobs/{meta['sha256']}")
    assert blob.status_code == 200
    assert hashlib.sha256(blob.content).hexdigest() == meta["sha256"]
    thumb = await me.client.get(f"/api/blobs/{meta['sha256']}?variant=thumbnail")
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 480


async def test_a_photo_sent_with_its_creation_takes_two_requests_to_the_timeline(officer):
    me = officer
    case_id = await me.open_case()
    data = jpeg((640, 480))
    created, meta = await me.create(case_id, data, first=data)
    assert created.status_code == 201, created.text
    assert int(created.headers["upload-offset"]) == len(data)
    done = await me.finalise(case_id, meta)
    assert done.status_code == 201, done.text
    assert done.json()["blobs"] == [meta["sha256"]]


async def test_a_recording_sent_partly_with_its_creation_goes_on_from_the_offset_given(officer):
    me = officer
    case_id = await me.open_case()
    data = webm_video()
    half = len(data) // 2
    created, meta = await me.create(case_id, data, media_type="video/webm",
                                    filename="rec.webm", first=data[:half])  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.headers["upload-offset"] == str(half)
    location = created.headers["location"]
    # The app lost the answer and creates again, with its first bytes again: the server keeps
    # what it has and says where to go on.
    again, _ = await me.create(case_id, data, media_type="video/webm", filename="rec.webm",
                               client_id=meta["client_id"], first=data[:half])  # fmt: skip
    assert again.status_code == 201
    assert (again.headers["location"], again.headers["upload-offset"]) == (location, str(half))
    rest = await me.patch(location, half, data[half:])
    assert rest.status_code == 204, rest.text
    done = await me.finalise(case_id, meta, kind="media.video")
    assert done.status_code == 201, done.text


async def test_bad_bytes_sent_with_the_creation_are_refused_and_leave_nothing(officer):
    me = officer
    case_id = await me.open_case()
    before = len(await me.timeline(case_id))
    data = jpeg((320, 240))
    created, meta = await me.create(case_id, data, sha256="0" * 64, first=data)
    assert created.status_code == 400, created.text
    assert created.json()["code"] == "blob_hash_mismatch"
    await nothing_changed(me, case_id, before)
    assert (await me.finalise(case_id, meta)).status_code == 404
    right, _ = await me.create(case_id, data, client_id=meta["client_id"], first=data)
    assert right.status_code == 201  # the same capture, declared right, is welcome


async def test_more_first_bytes_than_declared_are_a_413_and_leave_no_upload(officer):
    me = officer
    case_id = await me.open_case()
    data = jpeg((320, 240))
    created, meta = await me.create(case_id, data, length=100, first=data)
    assert created.status_code == 413, created.text
    assert created.json()["code"] == "upload_exceeds_length"
    assert list(me.app.state.evidence_uploads.root.glob("*")) == []


async def test_a_non_ascii_digit_in_a_tus_header_is_a_400(officer):
    me = officer
    case_id = await me.open_case()
    created, _ = await me.create(case_id, jpeg((320, 240)))
    r = await me.client.patch(
        created.headers["location"],
        content=b"x",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": b"\xb2",
                 "Content-Type": "application/offset+octet-stream"},
    )  # fmt: skip
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "bad_header"


async def test_first_bytes_must_be_sent_as_tus_chunks(officer):
    me = officer
    case_id = await me.open_case()
    data = jpeg((320, 240))
    created, _ = await me.create(case_id, data, first=data)
    assert created.status_code == 201
    r = await me.client.post(
        "/api/uploads",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                 "Upload-Metadata": created.request.headers["upload-metadata"],
                 "Content-Type": "image/jpeg"},
        content=data,
    )  # fmt: skip
    assert r.status_code == 415, r.text
    assert r.json()["code"] == "unsupported_media"


async def test_options_describes_the_tus_server(officer):
    r = await officer.client.options("/api/uploads")
    assert r.status_code == 204
    assert r.headers["tus-version"] == "1.0.0"
    assert r.headers["tus-extension"].split(",") == ["creation", "creation-with-upload"]
    assert int(r.headers["tus-max-size"]) >= 4 * 1024**3


async def test_video_recording_is_probed_and_gets_a_poster(officer):
    me = officer
    case_id = await me.open_case()
    data = webm_video()
    r, meta = await me.upload(case_id, data, media_type="video/webm", filename="rec.webm")
    assert r.status_code == 204, r.text
    done = await me.finalise(case_id, meta, kind="media.video")
    assert done.status_code == 201, done.text
    payload = done.json()["payload"]
    assert payload["media"]["has_video"] is True
    poster = await me.client.get(f"/api/blobs/{meta['sha256']}?variant=poster")
    assert poster.status_code == 200
    assert Image.open(io.BytesIO(poster.content)).format == "JPEG"


async def test_upload_cut_mid_way_resumes_after_a_server_restart(officer, settings):
    me = officer
    case_id = await me.open_case()
    data = jpeg((800, 600)) + b""
    created, meta = await me.create(case_id, data)
    location = created.headers["location"]
    half = len(data) // 2
    assert (await me.patch(location, 0, data[:half])).status_code == 204

    app, with_user = make_officer_client(settings)  # a new process: nothing in memory survives
    async with AsyncTestClient(app=app, base_url="http://localhost:8000") as client:
        client.app = with_user  # type: ignore[assignment]
        client._transport.app = with_user  # type: ignore[attr-defined]
        again = Officer(client, app)
        head = await client.head(location, headers={"Tus-Resumable": "1.0.0"})
        assert head.status_code == 200
        assert int(head.headers["upload-offset"]) == half
        assert int(head.headers["upload-length"]) == len(data)
        r = await again.patch(location, half, data[half:])
        assert r.status_code == 204, r.text
        done = await again.finalise(case_id, meta)
        assert done.status_code == 201, done.text
        assert done.json()["blobs"] == [hashlib.sha256(data).hexdigest()]


async def test_concurrent_uploads_of_one_photo_store_one_blob(officer):
    me = officer
    case_id = await me.open_case()
    data = jpeg((320, 240))
    results = await asyncio.gather(*(me.upload(case_id, data) for _ in range(4)))
    assert all(r.status_code == 204 for r, _ in results), [r.text for r, _ in results]
    assert len(me.blob_files()) == 1
    for _, meta in results:
        assert (await me.finalise(case_id, meta)).status_code == 201


async def test_size_limit_per_kind_is_a_413_at_creation(officer):
    me = officer
    case_id = await me.open_case()
    r, _ = await me.create(case_id, b"x", length=51 * 1024 * 1024)
    assert r.status_code == 413
    assert r.json()["code"] == "upload_too_large"


# -- bad input: each an exact 4xx, nothing stored, nothing appended --------------------------------


def bomb_png() -> bytes:
    return png_claiming(20000, 20000, b"\x00" * 10)


def truncated_jpeg() -> bytes:
    data = jpeg((640, 480))
    return data[: len(data) // 2]


def lying_png() -> bytes:
    # The header claims 100x100 pixels; the data holds 10x10.
    return png_claiming(100, 100, b"".join(b"\x00" + b"\x80" * 30 for _ in range(10)))


def zip_as_jpeg() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "hello" * 100)
    return out.getvalue()


def polyglot_jpeg() -> bytes:
    return jpeg() + zip_as_jpeg()


def absurd_gps() -> bytes:
    return jpeg(exif=exif_with(lat=999))


def dated(year: int) -> bytes:
    return jpeg(exif=exif_with(taken=f"{year}:01:01 00:00:00"))


@pytest.mark.parametrize(
    ("name", "make", "media_type", "status", "code"),
    [
        ("decompression bomb", bomb_png, "image/png", 422, "unsafe_image"),
        ("truncated jpeg", truncated_jpeg, "image/jpeg", 422, "unsafe_image"),
        ("png with a lying header", lying_png, "image/png", 422, "unsafe_image"),
        ("zip posing as a jpeg", zip_as_jpeg, "image/jpeg", 415, "type_mismatch"),
        ("jpeg with a zip appended", polyglot_jpeg, "image/jpeg", 415, "type_mismatch"),
        ("jpeg declared as png", jpeg, "image/png", 415, "type_mismatch"),
        ("exif latitude 999", absurd_gps, "image/jpeg", 422, "absurd_exif"),
        ("exif date in 2099", lambda: dated(2099), "image/jpeg", 422, "absurd_exif"),
    ],
)
async def test_bad_file_is_refused_when_its_last_byte_arrives(
    officer, name, make, media_type, status, code
):
    me = officer
    case_id = await me.open_case()
    before = len(await me.timeline(case_id))
    r, meta = await me.upload(case_id, make(), media_type=media_type)
    assert r.status_code == status, (name, r.text)
    assert r.json()["code"] == code
    await nothing_changed(me, case_id, before)
    # The refused upload is gone: finalising it finds nothing.
    assert (await me.finalise(case_id, meta)).status_code == 404
    await nothing_changed(me, case_id, before)


async def test_zero_bytes_are_refused_at_creation(officer):
    me = officer
    case_id = await me.open_case()
    before = len(await me.timeline(case_id))
    r, _ = await me.create(case_id, b"")
    assert r.status_code == 400
    assert r.json()["code"] == "empty_upload"
    await nothing_changed(me, case_id, before)


async def test_more_data_than_declared_is_a_413(officer):
    me = officer
    case_id = await me.open_case()
    before = len(await me.timeline(case_id))
    data = jpeg()
    created, _ = await me.create(case_id, data, length=len(data) - 10)
    r = await me.patch(created.headers["location"], 0, data)
    assert r.status_code == 413
    assert r.json()["code"] == "upload_exceeds_length"
    head = await me.client.head(created.headers["location"], headers={"Tus-Resumable": "1.0.0"})
    assert head.headers["upload-offset"] == "0"
    await nothing_changed(me, case_id, before)


async def test_bytes_that_do_not_hash_to_the_declared_sha256_are_refused(officer):
    me = officer
    case_id = await me.open_case()
    before = len(await me.timeline(case_id))
    data = jpeg()
    r, meta = await me.upload(case_id, data, sha256=hashlib.sha256(b"other").hexdigest())
    assert r.status_code == 400
    assert r.json()["code"] == "blob_hash_mismatch"
    await nothing_changed(me, case_id, before)
    assert (await me.finalise(case_id, meta)).status_code == 404


async def test_a_chunk_at_the_wrong_offset_is_a_409(officer):
    me = officer
    case_id = await me.open_case()
    data = jpeg()
    created, _ = await me.create(case_id, data)
    location = created.headers["location"]
    assert (await me.patch(location, 0, data[:100])).status_code == 204
    r = await me.patch(location, 50, data[50:200])
    assert r.status_code == 409
    assert r.json()["code"] == "offset_mismatch"
    head = await me.client.head(location, headers={"Tus-Resumable": "1.0.0"})
    assert head.headers["upload-offset"] == "100"
    assert me.blob_files() == []


async def test_finalising_with_chunks_missing_is_a_409(officer):
    me = officer
    case_id = await me.open_case()
    before = len(await me.timeline(case_id))
    data = jpeg()
    created, meta = await me.create(case_id, data)
    await me.patch(created.headers["location"], 0, data[:100])
    r = await me.finalise(case_id, meta)
    assert r.status_code == 409
    assert r.json()["code"] == "upload_incomplete"
    await nothing_changed(me, case_id, before)


@pytest.mark.parametrize(
    "filename", ["../../etc/passwd", "..\\..\\boot.ini", "a/b.jpg", "x\x00.jpg"]
)
async def test_a_path_traversal_file_name_is_refused(officer, filename):
    me = officer
    case_id = await me.open_case()
    before = len(await me.timeline(case_id))
    r, _ = await me.create(case_id, jpeg(), filename=filename)
    assert r.status_code == 400
    assert r.json()["code"] == "bad_filename"
    await nothing_changed(me, case_id, before)
    assert not list((me.app.state.settings.data_dir / "uploads").glob("*/data"))


async def test_findings_never_block_the_officer(officer):
    me = officer
    case_id = await me.open_case()
    taken = (datetime.now(UTC) - timedelta(hours=3)).astimezone().strftime("%Y:%m:%d %H:%M:%S")
    data = jpeg(exif=exif_with(taken=taken))
    r, meta = await me.upload(case_id, data)
    assert r.status_code == 204, r.text
    done = await me.finalise(case_id, meta, claimed={"time": iso(datetime.now(UTC))})
    assert done.status_code == 201, done.text
    assert "time_skew" in [f["code"] for f in done.json()["payload"]["findings"]]


async def test_another_agency_cannot_read_the_blob(officer, settings):
    me = officer
    case_id = await me.open_case()
    r, meta = await me.upload(case_id, jpeg())
    assert (await me.finalise(case_id, meta)).status_code == 201
    app, with_user = make_officer_client(settings, agency="lingchuan-finance")
    async with AsyncTestClient(app=app, base_url="http://localhost:8000") as client:
        client.app = with_user  # type: ignore[assignment]
        client._transport.app = with_user  # type: ignore[attr-defined]
        assert (await client.get(f"/api/blobs/{meta['sha256']}")).status_code == 404


async def test_an_upload_into_another_agencys_or_an_unknown_case_is_refused_before_any_byte(
    officer,
):
    me = officer
    for case_id, status, code in [
        ("agency:lingchuan-finance", 403, "other_agency"),
        ("00000000-0000-4000-8000-000000000000", 404, "case_not_found"),
    ]:
        created, _ = await me.create(case_id, jpeg())
        assert created.status_code == status, created.text
        assert created.json()["code"] == code
    assert me.blob_files() == []


async def test_a_three_day_old_video_sent_as_just_recorded_is_flagged_late(officer, tmp_path):
    from tests.recorder_files import make_recording

    me = officer
    case_id = await me.open_case()
    made = datetime.now(UTC) - timedelta(days=3)
    data = make_recording(tmp_path / "VID.mp4", made).read_bytes()
    _, meta = await me.upload(case_id, data, media_type="video/mp4", filename="VID.mp4")
    done = await me.finalise(case_id, meta, kind="media.video")
    assert done.status_code == 201, done.text
    payload = done.json()["payload"]
    assert "container_time_skew" in [f["code"] for f in payload["findings"]]
    assert payload["upload"]["late_by_h"] > 24
