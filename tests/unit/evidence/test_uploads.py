"""The tus upload store on disk: sidecars, offsets, resuming after a restart, byte ranges."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from backend.errors import Conflict, TooLarge
from backend.evidence.blobstore import DirectoryBlobStore
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


async def test_sidecar_records_what_was_declared_and_the_durable_offset(tmp_path):
    uploads = store(tmp_path)
    upload = await uploads.create(len(DATA), metadata(), "E001")
    await uploads.append(upload.id, "E001", 0, chunks(DATA[:4000]))
    sidecar = json.loads((tmp_path / "uploads" / upload.id / "info.json").read_text())
    assert sidecar["offset"] == 4000
    assert sidecar["length"] == len(DATA)
    assert sidecar["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert (sidecar["case_id"], sidecar["client_id"], sidecar["owner"]) == ("case-1", "c1", "E001")
    assert (tmp_path / "uploads" / upload.id / "data").stat().st_size == 4000


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
