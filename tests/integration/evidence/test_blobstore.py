"""The blob store keeps evidence bytes once, under their SHA-256, in a directory or in S3."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import stat
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from backend.blobstore import (
    BlobHashMismatch,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    DirectoryBlobStore,
    make_blob_store,
)
from backend.s3_blobstore import S3BlobStore


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["directory", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "directory":
        return DirectoryBlobStore(tmp_path / "blobs")
    server = request.getfixturevalue("s3_server")
    return S3BlobStore(
        bucket=server.bucket,
        prefix=f"test-{uuid.uuid4().hex}/blobs",
        endpoint_url=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        region=server.region,
        tmp_dir=tmp_path / "staging",
    )


def leftover_temp_files(store: BlobStore) -> list[Path]:
    tmp_dir: Path = store.tmp_dir  # type: ignore[attr-defined]
    return sorted(tmp_dir.iterdir()) if tmp_dir.exists() else []


async def store_bytes(store: BlobStore, data: bytes, **kwargs: object) -> tuple[str, bool]:
    async with store.writer(**kwargs) as blob:  # type: ignore[arg-type]
        await blob.write(data)
    assert blob.sha256 is not None and blob.created is not None
    return blob.sha256, blob.created


async def read_all(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def test_officer_recording_streams_in_and_back_out_unchanged(store: BlobStore) -> None:
    video = os.urandom(20 * 1024 * 1024 + 12345)  # past the S3 multipart threshold
    async with store.writer(expected_sha256=sha(video)) as blob:
        for start in range(0, len(video), 700_001):
            await blob.write(video[start : start + 700_001])

    assert blob.created is True
    assert blob.sha256 == sha(video)
    assert blob.size == len(video)
    assert await store.exists(sha(video))
    assert await store.size(sha(video)) == len(video)

    chunks = [chunk async for chunk in store.open(sha(video), chunk_size=1 << 20)]
    assert all(len(chunk) <= 1 << 20 for chunk in chunks)
    assert len(chunks) >= 20
    assert b"".join(chunks) == video
    assert await store.read_range(sha(video), 5, 105) == video[5:105]
    assert await store.read_range(sha(video), len(video) - 3, len(video) + 50) == video[-3:]
    assert leftover_temp_files(store) == []


async def test_same_photo_uploaded_twice_is_stored_once(store: BlobStore) -> None:
    photo = b"\xff\xd8\xff\xe0 jpeg bytes " * 1000

    first, created_first = await store_bytes(store, photo)
    second, created_second = await store_bytes(store, photo, expected_sha256=sha(photo))

    assert first == second == sha(photo)
    assert (created_first, created_second) == (True, False)
    assert await read_all(store.open(first)) == photo
    assert leftover_temp_files(store) == []


async def test_two_devices_syncing_the_same_photo_at_once_store_it_once(store: BlobStore) -> None:
    photo = os.urandom(256 * 1024)
    results = await asyncio.gather(*(store_bytes(store, photo) for _ in range(4)))

    assert sorted(created for _, created in results) == [False, False, False, True]
    assert await read_all(store.open(sha(photo))) == photo


async def test_upload_whose_bytes_differ_from_the_declared_hash_stores_nothing(
    store: BlobStore,
) -> None:
    declared = sha(b"what the phone hashed")
    with pytest.raises(BlobHashMismatch) as refused:
        async with store.writer(expected_sha256=declared) as blob:
            await blob.write(b"what arrived after a flipped bit")

    assert isinstance(refused.value, ValueError)
    assert not await store.exists(declared)
    assert not await store.exists(sha(b"what arrived after a flipped bit"))
    assert leftover_temp_files(store) == []


async def test_upload_past_its_byte_limit_stores_nothing(store: BlobStore) -> None:
    with pytest.raises(BlobTooLarge):
        async with store.writer(max_bytes=10) as blob:
            await blob.write(b"123456")
            await blob.write(b"789012")

    assert not await store.exists(sha(b"123456789012"))
    assert not await store.exists(sha(b"123456"))
    assert leftover_temp_files(store) == []


async def test_byte_limit_holds_even_if_the_caller_ignores_the_refusal(store: BlobStore) -> None:
    with pytest.raises(BlobTooLarge):
        async with store.writer(max_bytes=4) as blob:
            await blob.write(b"1234")
            with pytest.raises(BlobTooLarge):
                await blob.write(b"5")

    assert not await store.exists(sha(b"1234"))
    assert leftover_temp_files(store) == []


async def test_upload_of_exactly_the_limit_is_accepted(store: BlobStore) -> None:
    address, created = await store_bytes(store, b"1234", max_bytes=4)
    assert created and await store.size(address) == 4


async def test_upload_interrupted_by_an_error_stores_nothing(store: BlobStore) -> None:
    with pytest.raises(ConnectionResetError):
        async with store.writer() as blob:
            await blob.write(b"half of a recording")
            raise ConnectionResetError("phone lost signal")

    assert not await store.exists(sha(b"half of a recording"))
    assert leftover_temp_files(store) == []


@pytest.mark.parametrize(
    "address",
    [
        "../etc/passwd",
        "../../" + "a" * 58,
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "a" * 62 + "/x",
        "g" * 64,
        "",
        "a" * 64 + "\n",
    ],
)
async def test_blob_addresses_that_are_not_sha256_hex_are_refused(
    store: BlobStore, address: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError):
        await store.exists(address)
    with pytest.raises(ValueError):
        await store.size(address)
    with pytest.raises(ValueError):
        await read_all(store.open(address))
    with pytest.raises(ValueError):
        await store.read_range(address, 0, 1)
    with pytest.raises(ValueError):
        await store.delete(address)
    with pytest.raises(ValueError):
        async with store.writer(expected_sha256=address):
            pass
    source = tmp_path / "upload.bin"
    source.write_bytes(b"data")
    with pytest.raises(ValueError):
        await store.put_file(source, address)
    assert source.read_bytes() == b"data"


async def test_asking_for_a_blob_never_stored_says_not_found(store: BlobStore) -> None:
    missing = sha(b"never uploaded")

    assert not await store.exists(missing)
    with pytest.raises(BlobNotFound) as not_found:
        await read_all(store.open(missing))
    assert isinstance(not_found.value, KeyError)
    with pytest.raises(BlobNotFound):
        await store.size(missing)
    with pytest.raises(BlobNotFound):
        await store.read_range(missing, 0, 10)


async def test_retention_disposal_deletes_the_blob(store: BlobStore) -> None:
    address, _ = await store_bytes(store, b"photo past its retention period")

    await store.delete(address)

    assert not await store.exists(address)
    with pytest.raises(BlobNotFound):
        await read_all(store.open(address))
    await store.delete(address)  # disposal retried after a crash is harmless


async def test_finished_resumable_upload_is_committed_and_its_file_consumed(
    store: BlobStore, tmp_path: Path
) -> None:
    recording = os.urandom(3 * 1024 * 1024)
    source = tmp_path / "uploads" / "resumable-1.part"
    source.parent.mkdir()
    source.write_bytes(recording)

    assert await store.put_file(source, sha(recording)) is True

    assert not source.exists()
    assert await read_all(store.open(sha(recording))) == recording

    again = tmp_path / "uploads" / "resumable-2.part"
    again.write_bytes(recording)
    assert await store.put_file(again, sha(recording)) is False
    assert not again.exists()
    assert leftover_temp_files(store) == []


async def test_a_file_hashed_as_it_was_written_is_committed_without_reading_it_again(
    store: BlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = os.urandom(1024 * 1024)
    source = tmp_path / "resumable.part"
    source.write_bytes(recording)

    def no_rehash(path: Path) -> str:
        raise AssertionError("the caller's hash was computed over these very bytes")

    monkeypatch.setattr("backend.blobstore.hash_file", no_rehash)
    assert await store.put_file(source, sha(recording), hashed=True) is True
    assert not source.exists()
    assert await read_all(store.open(sha(recording))) == recording
    assert leftover_temp_files(store) == []


async def test_resumable_upload_with_wrong_hash_is_refused_and_kept_for_the_caller(
    store: BlobStore, tmp_path: Path
) -> None:
    source = tmp_path / "resumable.part"
    source.write_bytes(b"truncated recording")
    declared = sha(b"the full recording")

    with pytest.raises(BlobHashMismatch):
        await store.put_file(source, declared)

    assert source.read_bytes() == b"truncated recording"
    assert not await store.exists(declared)
    assert not await store.exists(sha(b"truncated recording"))
    assert leftover_temp_files(store) == []


async def test_directory_store_keeps_read_only_files_under_split_hash_folders(
    tmp_path: Path,
) -> None:
    store = DirectoryBlobStore(tmp_path / "blobs")
    address, _ = await store_bytes(store, b"inquiry record scan")

    path = tmp_path / "blobs" / address[:2] / address[2:4] / address
    assert path.read_bytes() == b"inquiry record scan"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_default_blob_store_is_a_directory_in_the_data_dir(tmp_path: Path) -> None:
    store = make_blob_store("", tmp_path, env={})
    assert isinstance(store, DirectoryBlobStore)
    assert store.root == tmp_path / "blobs"

    elsewhere = make_blob_store(str(tmp_path / "evidence"), tmp_path, env={})
    assert isinstance(elsewhere, DirectoryBlobStore)
    assert elsewhere.root == tmp_path / "evidence"


async def test_s3_blob_store_is_configured_from_the_environment(
    s3_server: Any, tmp_path: Path
) -> None:
    env = {
        "CASETRAIL_S3_ENDPOINT": s3_server.endpoint_url,
        "CASETRAIL_S3_ACCESS_KEY": s3_server.access_key,
        "CASETRAIL_S3_SECRET_KEY": s3_server.secret_key,
    }
    store = make_blob_store(f"s3://{s3_server.bucket}/agency-7/media/", tmp_path, env=env)

    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (s3_server.bucket, "agency-7/media")
    address, created = await store_bytes(store, b"served decision, signed copy")
    assert created
    assert store.key_of(address) == f"agency-7/media/{address}"
    assert await read_all(store.open(address)) == b"served decision, signed copy"


def test_unknown_blob_store_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_blob_store("gs://bucket/prefix", tmp_path, env={})
    with pytest.raises(ValueError):
        make_blob_store("s3:///prefix-without-bucket", tmp_path, env={})


async def test_a_file_on_another_mount_is_copied_in_and_never_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two bind mounts of one disk: same device, yet link() across them fails with EXDEV.
    store = DirectoryBlobStore(tmp_path / "blobs")
    recording = os.urandom(256 * 1024)
    source = tmp_path / "uploads" / "data"
    source.parent.mkdir()
    source.write_bytes(recording)

    def across_mounts(real):
        def call(src, dst):
            if Path(src) == source:
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            return real(src, dst)

        return call

    monkeypatch.setattr(os, "link", across_mounts(os.link))
    monkeypatch.setattr(os, "rename", across_mounts(os.rename))
    assert await store.put_file(source, sha(recording), hashed=True) is True
    assert await read_all(store.open(sha(recording))) == recording
    assert leftover_temp_files(store) == []
