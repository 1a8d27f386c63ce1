"""The content-addressed blob store: evidence bytes kept once under their SHA-256, in a directory or S3.

Blobs are immutable. A blob is written once under the lowercase hex SHA-256 of its bytes and is
never overwritten; the only way one disappears is `delete`, which exists for retention disposal
alone (the ledger keeps a tombstone entry saying why the media is gone).

Every write streams into a local temp file while hashing, so a multi-GB recording never sits in
memory, and nothing becomes visible under an address until the bytes are known to hash to it.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import IO, Protocol, runtime_checkable
from urllib.parse import urlsplit

from backend.errors import Invalid, NotFound, TooLarge

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_HASH_CHUNK = 1 << 20


class InvalidBlobAddress(Invalid, ValueError):
    """The string is not 64 lowercase hex digits, so it can never name a blob (nor a path)."""

    code = "invalid_blob_address"


class BlobHashMismatch(Invalid, ValueError):
    """The bytes received do not hash to the SHA-256 the client declared; nothing was stored."""

    code = "blob_hash_mismatch"


class BlobTooLarge(TooLarge, ValueError):
    """The upload went past its byte limit; nothing was stored."""

    code = "blob_too_large"


class BlobNotFound(NotFound, KeyError):
    """No blob is stored under this SHA-256 (never written, or disposed of at retention)."""

    code = "blob_not_found"


def validate_sha256(value: object) -> str:
    """Return `value` if it is 64 lowercase hex digits; raise InvalidBlobAddress otherwise.

    The address becomes a path component and an object key, so this is the traversal guard too.
    """
    if not isinstance(value, str) or not _SHA256_HEX.fullmatch(value):
        raise InvalidBlobAddress(f"not a lowercase hex SHA-256: {value!r:.80}")
    return value


class BlobWriter:
    """One upload in progress: bytes go to a temp file and into the hash as they arrive.

    Await `write` calls one after another; `.sha256` and `.created` are set once the store's
    `writer` context has exited cleanly.
    """

    def __init__(self, file: IO[bytes], path: Path, max_bytes: int | None) -> None:
        self._file: IO[bytes] | None = file
        self._path = path
        self._hash = hashlib.sha256()
        self._max_bytes = max_bytes
        self._overflowed = False
        self.size = 0
        self.sha256: str | None = None
        self.created: bool | None = None

    async def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise ValueError("blob writer is closed")
        if self._max_bytes is not None and self.size + len(chunk) > self._max_bytes:
            self._overflowed = True
            raise BlobTooLarge(f"blob exceeds the limit of {self._max_bytes} bytes")
        await asyncio.to_thread(self._write_sync, self._file, chunk)
        self.size += len(chunk)

    def _write_sync(self, file: IO[bytes], chunk: bytes) -> None:
        self._hash.update(chunk)
        file.write(chunk)

    def _finish_sync(self) -> str:
        """Flush and fsync the temp file so what gets committed is on disk, then close it."""
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        return self._hash.hexdigest()

    def _discard_sync(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._path.unlink(missing_ok=True)


@runtime_checkable
class BlobStore(Protocol):
    """Where evidence bytes live, addressed by SHA-256. Implementations: directory, S3."""

    def writer(
        self, expected_sha256: str | None = None, max_bytes: int | None = None
    ) -> AbstractAsyncContextManager[BlobWriter]:
        """Stream a new blob in; it is verified and committed when the context exits cleanly.

        Raises BlobHashMismatch if the bytes do not hash to `expected_sha256`, BlobTooLarge from
        `write` (and again on exit) once `max_bytes` is passed. On any error nothing is stored.
        """
        ...

    async def put_file(self, path: Path, sha256: str, hashed: bool = False) -> bool:
        """Commit a finished local file as the blob `sha256`; True if newly stored.

        The file is re-hashed and synced first, unless `hashed`: the caller computed `sha256`
        over the very bytes it wrote to `path` (which nobody else writes to) and synced them. On
        success the source file is consumed (moved or deleted); on BlobHashMismatch it is left
        where it was and nothing is stored.
        """
        ...

    async def exists(self, sha256: str) -> bool: ...

    async def size(self, sha256: str) -> int:
        """Size in bytes; BlobNotFound if absent."""
        ...

    def open(self, sha256: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Stream the blob's bytes; BlobNotFound is raised when iteration starts if absent."""
        ...

    async def read_range(self, sha256: str, start: int, end: int) -> bytes:
        """Bytes [start, end) of the blob, clipped to its size; meant for bounded HTTP ranges."""
        ...

    async def delete(self, sha256: str) -> None:
        """Remove a blob. For retention disposal only; a no-op if it is already gone."""
        ...


class TempFileStore:
    """The writer both stores share: temp file + hash, then a store-specific `_commit`."""

    tmp_dir: Path

    async def _commit(self, tmp_path: Path, sha256: str) -> bool:
        raise NotImplementedError

    def _open_temp(self) -> tuple[IO[bytes], Path]:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="upload-", suffix=".part")
        return os.fdopen(fd, "wb"), Path(name)

    @asynccontextmanager
    async def writer(
        self, expected_sha256: str | None = None, max_bytes: int | None = None
    ) -> AsyncIterator[BlobWriter]:
        expected = validate_sha256(expected_sha256) if expected_sha256 is not None else None
        file, path = await asyncio.to_thread(self._open_temp)
        blob = BlobWriter(file, path, max_bytes)
        try:
            yield blob
            # A caller that swallowed BlobTooLarge inside the block must still not commit.
            if blob._overflowed:
                raise BlobTooLarge(f"blob exceeds the limit of {max_bytes} bytes")
            digest = await asyncio.to_thread(blob._finish_sync)
            if expected is not None and digest != expected:
                raise BlobHashMismatch(
                    f"declared sha256 {expected}, received bytes hash to {digest}"
                )
            blob.created = await self._commit(path, digest)
            blob.sha256 = digest
        finally:
            await asyncio.to_thread(blob._discard_sync)


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DirectoryBlobStore(TempFileStore):
    """Blobs as read-only files at `root/ab/cd/<sha256>`; temp files in `root/tmp/`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"

    def path_of(self, sha256: str) -> Path:
        sha256 = validate_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def _commit(self, tmp_path: Path, sha256: str) -> bool:
        return await asyncio.to_thread(self._commit_sync, tmp_path, sha256)

    def _commit_sync(self, tmp_path: Path, sha256: str) -> bool:
        final = self.path_of(sha256)
        new_dirs = [d for d in (final.parent.parent, final.parent) if not d.exists()]
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp_path, 0o444)
        try:
            # link() fails if the name exists, unlike replace(): a concurrent writer of the same
            # blob finds it there and reports created=False instead of clobbering it.
            os.link(tmp_path, final)
        except FileExistsError:
            tmp_path.unlink(missing_ok=True)
            return False
        # Only now: on any other failure the bytes stay where they were (the caller's, perhaps).
        tmp_path.unlink(missing_ok=True)
        # The new name, and any directory made for it, must survive a power cut.
        _fsync_dir(final.parent)
        for d in new_dirs:
            _fsync_dir(d.parent)
        return True

    async def put_file(self, path: Path, sha256: str, hashed: bool = False) -> bool:
        sha256 = validate_sha256(sha256)
        return await asyncio.to_thread(self._put_file_sync, Path(path), sha256, hashed)

    def _put_file_sync(self, source: Path, sha256: str, hashed: bool = False) -> bool:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        if hashed:
            # Bytes nobody else writes, hashed and synced as they were written: linked in where
            # they lie, without a rename and its journal commit.
            try:
                return self._commit_sync(source, sha256)
            except OSError as e:
                if e.errno != errno.EXDEV:
                    raise
            # Another filesystem (two mounts of one disk, too): a copy.
        staged = self.tmp_dir / f"put-{uuid.uuid4().hex}.part"
        # Take the file out of the caller's hands before hashing, so what is hashed is what
        # gets linked in; copy (hashing as we go) only when it lives on another filesystem.
        try:
            os.rename(source, staged)
            moved = True
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            moved = False
        try:
            if not moved:
                digest = _copy_hashing(source, staged)
            else:
                digest = sha256 if hashed else hash_file(staged)
            with staged.open("rb") as f:
                os.fsync(f.fileno())
            if digest != sha256:
                if moved:
                    os.rename(staged, source)
                raise BlobHashMismatch(f"declared sha256 {sha256}, file hashes to {digest}")
            created = self._commit_sync(staged, sha256)
            if not moved:
                source.unlink(missing_ok=True)
            return created
        finally:
            staged.unlink(missing_ok=True)

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def size(self, sha256: str) -> int:
        path = self.path_of(sha256)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha256}") from None

    def open(self, sha256: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        return self._stream(self.path_of(sha256), sha256, chunk_size)

    async def _stream(self, path: Path, sha256: str, chunk_size: int) -> AsyncIterator[bytes]:
        try:
            f = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha256}") from None
        try:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    async def read_range(self, sha256: str, start: int, end: int) -> bytes:
        path = self.path_of(sha256)
        if start < 0 or end < start:
            raise ValueError(f"bad range [{start}, {end})")

        def read() -> bytes:
            with path.open("rb") as f:
                f.seek(start)
                return f.read(end - start)

        try:
            return await asyncio.to_thread(read)
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha256}") from None

    async def delete(self, sha256: str) -> None:
        path = self.path_of(sha256)

        def remove() -> None:
            if path.parent.is_dir():
                path.unlink(missing_ok=True)
                _fsync_dir(path.parent)

        await asyncio.to_thread(remove)


def _copy_hashing(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_HASH_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def make_blob_store(spec: str, data_dir: Path, env: Mapping[str, str] = os.environ) -> BlobStore:
    """The store named by settings.blob_store: "" (data_dir/blobs), a directory, or s3://bucket/prefix.

    S3 endpoint and credentials come from CASETRAIL_S3_ENDPOINT, CASETRAIL_S3_ACCESS_KEY,
    CASETRAIL_S3_SECRET_KEY and CASETRAIL_S3_REGION (default us-east-1); uploads are staged in
    data_dir/tmp before they go to the bucket.
    """
    spec = spec.strip()
    if not spec:
        return DirectoryBlobStore(Path(data_dir) / "blobs")
    if spec.startswith("s3://"):
        # Imported here: boto3 costs ~35 MB of memory, which the directory store never needs.
        from backend.s3_blobstore import S3BlobStore

        parts = urlsplit(spec)
        if not parts.netloc:
            raise ValueError(f"blob store {spec!r} names no bucket")
        return S3BlobStore(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint_url=env.get("CASETRAIL_S3_ENDPOINT") or None,
            access_key=env.get("CASETRAIL_S3_ACCESS_KEY") or None,
            secret_key=env.get("CASETRAIL_S3_SECRET_KEY") or None,
            region=env.get("CASETRAIL_S3_REGION") or "us-east-1",
            tmp_dir=Path(data_dir) / "tmp",
        )
    if "://" in spec:
        raise ValueError(
            f"unsupported blob store {spec!r}: use a directory path or s3://bucket/prefix"
        )
    return DirectoryBlobStore(Path(spec).expanduser())


@asynccontextmanager
async def local_copy(blobs: BlobStore, sha256: str, tmp_dir: Path) -> AsyncIterator[Path]:
    """A local path holding the blob: the file itself for a directory store, else a temp copy."""
    if isinstance(blobs, DirectoryBlobStore):
        yield blobs.path_of(sha256)
        return
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path = tmp_dir / f"copy-{uuid.uuid4().hex}"
    try:
        with path.open("wb") as f:
            async for chunk in blobs.open(sha256):
                await asyncio.to_thread(f.write, chunk)
        yield path
    finally:
        path.unlink(missing_ok=True)


__all__ = [
    "BlobHashMismatch",
    "BlobNotFound",
    "BlobStore",
    "BlobTooLarge",
    "BlobWriter",
    "DirectoryBlobStore",
    "InvalidBlobAddress",
    "local_copy",
    "make_blob_store",
    "validate_sha256",
]
