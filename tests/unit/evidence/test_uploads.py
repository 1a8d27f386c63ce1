"""The tus upload store on disk: sidecars, offsets, resuming after a restart, byte ranges."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from backend.blobstore import DirectoryBlobStore
from backend.errors import Conflict, NotFound, TooLarge
from backend.evidence import uploads as uploads_module
from backend.evidence.byte_ranges import RangeNotSatisfiable, parse_range
from backend.evidence.uploads import UploadStore
from backend.settings import MediaLimits

DATA = bytes(range(256)) * 40  # 10 240 bytes


async def chunks(*parts: bytes):
    for part in parts:
        yield part


def store(root: Path) -> UploadStore:
    return UploadStore(root / "uploads", DirectoryBlobStore(root / "blobs"), MediaLimits())


def metadata(client_id: str = "c1") -> dict[str, str]:
    return {"sha256": hashlib.sha256(DATA).hexdigest(), "media_type": "application/pdf",
            "case_id": "case-1", "client_id": client_id, "filename": "scan.pdf"}  # fmt: skip


async def test_sidecar_records_what_was_declared_and_the_data_file_holds_the_offset(tmp_path):
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")
    await uploads.append(upload.id, "E001", 0, chunks(DATA[:4000]))
    sidecar = json.loads((tmp_path / "uploads" / upload.id / "info.json").read_text())
    assert sidecar["length"] == len(DATA)
    assert sidecar["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert (sidecar["case_id"], sidecar["client_id"], sidecar["owner"]) == ("case-1", "c1", "E001")
    # The acknowledged offset is what the synced data file holds: no second record to sync.
    assert (tmp_path / "uploads" / upload.id / "data").stat().st_size == 4000
    assert (await store(tmp_path).get(upload.id, "E001")).offset == 4000


async def test_upload_resumes_from_the_server_offset_after_a_restart(tmp_path):
    first = store(tmp_path)
    upload = await first.create(len(DATA), metadata(), "E001")
    await first.append(upload.id, "E001", 0, chunks(DATA[:3000], DATA[3000:5000]))
    # A new process: no running hash in memory, only what is on disk.
    again = store(tmp_path)
    resumed = await again.get(upload.id, "E001")
    assert resumed.offset == 5000
    # Creating the same capture again finds the same upload (the client lost its Location).
    assert (await again.create(len(DATA), metadata(), "E001")).id == upload.id
    done = await again.append(upload.id, "E001", 5000, chunks(DATA[5000:]))
    assert done.complete
    blob = again.blobs.path_of(hashlib.sha256(DATA).hexdigest())
    assert blob.read_bytes() == DATA


async def test_a_chunk_at_the_wrong_offset_is_refused_and_changes_nothing(tmp_path):
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")
    await uploads.append(upload.id, "E001", 0, chunks(DATA[:1000]))
    with pytest.raises(Conflict) as refused:
        await uploads.append(upload.id, "E001", 2000, chunks(DATA[2000:3000]))
    assert refused.value.detail == {"offset": 1000}
    assert (await uploads.get(upload.id, "E001")).offset == 1000


async def test_a_cut_connection_keeps_the_bytes_that_arrived(tmp_path):
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")

    async def dropped():
        yield DATA[:2500]
        raise ConnectionResetError("network gone")

    with pytest.raises(ConnectionResetError):
        await uploads.append(upload.id, "E001", 0, dropped())
    assert (await uploads.get(upload.id, "E001")).offset == 2500


async def test_more_bytes_than_declared_are_refused(tmp_path):
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")
    with pytest.raises(TooLarge):
        await uploads.append(upload.id, "E001", 0, chunks(DATA, b"extra"))
    assert (await uploads.get(upload.id, "E001")).offset == 0


async def test_a_failed_write_drops_the_bytes_of_that_request(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads_module, "WRITE_BATCH", 1000)  # several batches in flight
    real = uploads_module._write_hashing
    calls = []

    def failing(file, hasher, parts):
        calls.append(len(parts))
        if len(calls) == 3:
            raise OSError("disk full")
        real(file, hasher, parts)

    monkeypatch.setattr(uploads_module, "_write_hashing", failing)
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")
    await uploads.append(upload.id, "E001", 0, chunks(DATA[:1000]))
    with pytest.raises(OSError):
        await uploads.append(upload.id, "E001", 1000, chunks(*[DATA[i : i + 500] for i in
                                                                range(1000, 6000, 500)]))  # fmt: skip
    assert (await uploads.get(upload.id, "E001")).offset == 1000
    assert (tmp_path / "uploads" / upload.id / "data").stat().st_size == 1000

    monkeypatch.setattr(uploads_module, "_write_hashing", real)
    done = await uploads.append(upload.id, "E001", 1000, chunks(DATA[1000:]))
    assert done.complete  # the running hash did not keep the dropped bytes


async def test_a_crash_before_the_checks_finishes_them_after_the_restart(tmp_path):
    first = store(tmp_path)
    upload = await first.create(len(DATA), metadata(), "E001")
    await first.append(upload.id, "E001", 0, chunks(DATA[:4000]))
    folder = tmp_path / "uploads" / upload.id
    (folder / "data").write_bytes(DATA)  # the last request's bytes were durable, then the crash

    again = store(tmp_path)
    found = await again.get(upload.id, "E001")
    assert found.offset == len(DATA) and not found.complete
    done = await again.ensure_complete(found)
    assert done.complete and again.blobs.path_of(upload.sha256).read_bytes() == DATA


async def test_a_crash_after_the_blob_store_took_the_bytes_reads_back_as_complete(tmp_path):
    first = store(tmp_path)
    upload = await first.create(len(DATA), metadata(), "E001")
    folder = tmp_path / "uploads" / upload.id
    (folder / "data").write_bytes(DATA)
    await first.blobs.put_file(folder / "data", upload.sha256)  # then the crash

    again = store(tmp_path)
    found = await again.get(upload.id, "E001")
    assert found.offset == len(DATA)
    assert (await again.ensure_complete(found)).complete
    with pytest.raises(Conflict):  # a resend from the old offset learns where the upload is
        await again.append(upload.id, "E001", 0, chunks(DATA))


async def test_a_crash_that_lost_the_record_of_the_checks_checks_the_blob_again(tmp_path):
    async def inspect(path: Path, upload) -> dict:
        return {"media_type": "application/pdf", "size": path.stat().st_size}

    first = UploadStore(tmp_path / "uploads", DirectoryBlobStore(tmp_path / "blobs"),
                        MediaLimits(), inspect)  # fmt: skip
    upload = await first.create(len(DATA), metadata(), "E001")
    folder = tmp_path / "uploads" / upload.id
    (folder / "data").write_bytes(DATA)
    await first.blobs.put_file(folder / "data", upload.sha256)  # stored, then the crash

    again = UploadStore(tmp_path / "uploads", first.blobs, MediaLimits(), inspect)
    done = await again.ensure_complete(await again.get(upload.id, "E001"))
    assert done.complete
    assert done.facts == {"media_type": "application/pdf", "size": len(DATA)}
    assert (await again.get(upload.id, "E001")).facts == done.facts


async def test_a_crash_between_the_upload_folder_and_the_blob_store_asks_for_the_file_again(
    tmp_path,
):
    first = store(tmp_path)
    upload = await first.create(len(DATA), metadata(), "E001")
    folder = tmp_path / "uploads" / upload.id
    (folder / "data").write_bytes(DATA)
    (folder / "data").rename(tmp_path / "moved-aside")  # the blob store took it, then the crash

    again = store(tmp_path)
    with pytest.raises(NotFound):
        await again.ensure_complete(await again.get(upload.id, "E001"))
    with pytest.raises(NotFound):
        await again.get(upload.id, "E001")
    fresh = await again.create(len(DATA), metadata(), "E001")
    assert fresh.offset == 0
    assert (await again.append(fresh.id, "E001", 0, chunks(DATA))).complete


async def test_a_record_cut_short_by_a_crash_reads_as_no_upload_and_is_made_again(tmp_path):
    first = store(tmp_path)
    upload = await first.create(len(DATA), metadata(), "E001")
    (tmp_path / "uploads" / upload.id / "info.json").write_text('{"id": "')

    again = store(tmp_path)
    with pytest.raises(NotFound):
        await again.get(upload.id, "E001")
    with pytest.raises(NotFound):
        await again.append(upload.id, "E001", 0, chunks(DATA))
    made = await again.create(len(DATA), metadata(), "E001")
    assert made.id == upload.id
    assert (await again.append(made.id, "E001", 0, chunks(DATA))).complete


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-", (0, 1000)),
        ("bytes=0-99", (0, 100)),
        ("bytes=900-", (900, 1000)),
        ("bytes=900-5000", (900, 1000)),
        ("bytes=-100", (900, 1000)),
        ("bytes=-5000", (0, 1000)),
        ("bytes=0-9,20-29", None),  # several ranges: the whole blob
        ("items=0-9", None),
    ],
)
def test_range_headers_name_a_slice_of_the_blob(header, expected):
    wanted = parse_range(header, 1000)
    assert (None if wanted is None else (wanted.start, wanted.end)) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5-2", "bytes=-0"])
def test_a_range_beyond_the_blob_is_not_satisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 1000)


async def test_creating_again_while_a_request_is_sending_answers_at_once(tmp_path):
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")
    await uploads.append(upload.id, "E001", 0, chunks(DATA[:3000]))
    sending = uploads_module._Lock(tmp_path / "uploads" / upload.id)
    sending.acquire()  # a phone still sending, slowly
    try:
        again = await asyncio.wait_for(uploads.create(len(DATA), metadata(), "E001"), 2)
        assert (again.id, again.offset) == (upload.id, 3000)
        with pytest.raises(uploads_module.UploadLocked):
            await uploads.append(upload.id, "E001", 3000, chunks(DATA[3000:]))
    finally:
        sending.release()


async def test_a_last_chunk_resent_after_a_crash_finishes_the_upload(tmp_path):
    first = store(tmp_path)
    upload = await first.create(len(DATA), metadata(), "E001")
    folder = tmp_path / "uploads" / upload.id
    (folder / "data").write_bytes(DATA)
    await first.blobs.put_file(folder / "data", upload.sha256)  # stored, then the crash

    again = store(tmp_path)
    done = await again.append(upload.id, "E001", len(DATA), chunks())
    assert done.complete


async def test_a_new_record_starts_from_no_bytes_whatever_an_old_one_left(tmp_path):
    first = store(tmp_path)
    upload = await first.create(len(DATA), metadata(), "E001")
    folder = tmp_path / "uploads" / upload.id
    (folder / "data").write_bytes(b"x" * 20_000)  # a torn record's bytes, of another file
    (folder / "info.json").write_text("{")

    made = await store(tmp_path).create(len(DATA), metadata(), "E001")
    assert made.offset == 0
    assert (folder / "data").stat().st_size == 0


def age(folder: Path, days: float) -> None:
    then = time.time() - days * 86400
    for path in folder.iterdir():
        os.utime(path, (then, then))


async def test_the_sweep_clears_finalised_and_abandoned_uploads_and_keeps_the_rest(tmp_path):
    uploads = store(tmp_path)
    done = await uploads.create(len(DATA), metadata("done"), "E001")
    await uploads.append(done.id, "E001", 0, chunks(DATA))
    waiting = await uploads.create(len(DATA), metadata("waiting"), "E001")
    await uploads.append(waiting.id, "E001", 0, chunks(DATA))  # stored, not yet finalised
    abandoned = await uploads.create(len(DATA), metadata("abandoned"), "E001")
    await uploads.append(abandoned.id, "E001", 0, chunks(DATA[:4000]))
    age(tmp_path / "uploads" / abandoned.id, days=31)
    offline = await uploads.create(len(DATA), metadata("offline"), "E001")
    await uploads.append(offline.id, "E001", 0, chunks(DATA[:4000]))
    age(tmp_path / "uploads" / offline.id, days=6)  # a phone out of signal for most of a week
    sending = await uploads.create(len(DATA), metadata("sending"), "E001")
    age(tmp_path / "uploads" / sending.id, days=40)
    held = uploads_module._Lock(tmp_path / "uploads" / sending.id)
    held.acquire()  # a request is sending to it right now

    async def finalised(upload) -> bool:
        return upload.client_id == "done"

    try:
        assert await uploads.sweep(finalised) == 2
    finally:
        held.release()
    left = {p.name for p in (tmp_path / "uploads").iterdir()}
    assert left == {waiting.id, offline.id, sending.id}
    assert uploads.blobs.path_of(done.sha256).read_bytes() == DATA  # blobs are never swept
    with pytest.raises(NotFound):
        await uploads.get(abandoned.id, "E001")
    again = await uploads.create(len(DATA), metadata("abandoned"), "E001")
    assert again.offset == 0  # the phone that comes back sends it all again


async def test_a_body_cut_off_mid_way_keeps_its_bytes_and_frees_the_upload(tmp_path):
    # A phone whose body stops arriving is cut off by the server's minimum body rate
    # (backend/http_limits.py); the request's stream then fails as for a dropped connection.
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")

    class ClientDisconnected(Exception):
        pass

    async def signal_lost():
        yield DATA[:3000]
        raise ClientDisconnected

    with pytest.raises(ClientDisconnected):
        await uploads.append(upload.id, "E001", 0, signal_lost())
    assert (await uploads.get(upload.id, "E001")).offset == 3000
    done = await uploads.append(upload.id, "E001", 3000, chunks(DATA[3000:]))  # not locked
    assert done.complete


async def test_a_stray_file_among_the_uploads_does_not_stop_the_sweep(tmp_path):
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")
    await uploads.append(upload.id, "E001", 0, chunks(DATA[:100]))
    age(tmp_path / "uploads" / upload.id, days=31)
    (tmp_path / "uploads" / ("0" * 32)).write_text("not a folder")

    async def finalised(upload) -> bool:
        return False

    assert await uploads.sweep(finalised) == 1
