"""Blobs as objects in an S3-compatible bucket: the blob store at scale.

Its own module so that boto3 (tens of megabytes of memory) loads only when a bucket is configured.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from backend.blobstore import (
    BlobHashMismatch,
    BlobNotFound,
    TempFileStore,
    hash_file,
    validate_sha256,
)


def _s3_error_code(error: BaseException | None) -> str | None:
    """The S3 error code behind `error`; boto3's upload_file hides it inside S3UploadFailedError."""
    while error is not None:
        if isinstance(error, ClientError):
            return error.response.get("Error", {}).get("Code")
        error = error.__cause__ or error.__context__
    return None


def _is_missing(error: BaseException) -> bool:
    return _s3_error_code(error) in {"404", "NoSuchKey", "NotFound"}


class S3BlobStore(TempFileStore):
    """Blobs as objects `<prefix>/<sha256>` in an S3-compatible bucket (AWS, MinIO, Ceph RGW).

    Never overwrites: existence is checked first, and every PUT carries `If-None-Match: *` so a
    racing writer of the same blob is refused by the server. At scale the bucket also has object
    lock (compliance mode), which enforces immutability server-side whatever the client does.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
        *,
        tmp_dir: Path | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.tmp_dir = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.gettempdir())
        # Self-hosted S3 (MinIO, Ceph, moto) rarely has wildcard DNS for virtual-host buckets.
        addressing = "path" if endpoint_url else "auto"
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            region_name=region,
            config=Config(s3={"addressing_style": addressing}, retries={"mode": "standard"}),
        )
        self._client.meta.events.register("before-sign.s3.PutObject", _refuse_overwrite)
        self._client.meta.events.register(
            "before-sign.s3.CompleteMultipartUpload", _refuse_overwrite
        )
        self._transfer = TransferConfig(multipart_threshold=16 << 20, multipart_chunksize=16 << 20)

    def key_of(self, sha256: str) -> str:
        sha256 = validate_sha256(sha256)
        return f"{self.prefix}/{sha256}" if self.prefix else sha256

    async def _call(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, **kwargs)

    async def _head(self, sha256: str) -> dict[str, Any] | None:
        try:
            return await self._call(
                self._client.head_object, Bucket=self.bucket, Key=self.key_of(sha256)
            )
        except Exception as e:
            if _is_missing(e):
                return None
            raise

    async def _commit(self, tmp_path: Path, sha256: str) -> bool:
        return await self._upload(tmp_path, sha256)

    async def _upload(self, path: Path, sha256: str) -> bool:
        if await self._head(sha256) is not None:
            return False
        try:
            await asyncio.to_thread(
                self._client.upload_file,
                str(path),
                self.bucket,
                self.key_of(sha256),
                ExtraArgs={"ContentType": "application/octet-stream"},
                Config=self._transfer,
            )
        except (ClientError, S3UploadFailedError) as e:
            if _s3_error_code(e) in {"PreconditionFailed", "412"}:
                return False  # someone else stored the same bytes between our check and PUT
            raise
        return True

    async def put_file(self, path: Path, sha256: str, hashed: bool = False) -> bool:
        sha256 = validate_sha256(sha256)
        path = Path(path)
        digest = sha256 if hashed else await asyncio.to_thread(hash_file, path)
        if digest != sha256:
            raise BlobHashMismatch(f"declared sha256 {sha256}, file hashes to {digest}")
        created = await self._upload(path, sha256)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        return created

    async def exists(self, sha256: str) -> bool:
        return await self._head(sha256) is not None

    async def size(self, sha256: str) -> int:
        head = await self._head(sha256)
        if head is None:
            raise BlobNotFound(f"no blob {sha256}")
        return int(head["ContentLength"])

    def open(self, sha256: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        return self._stream(self.key_of(sha256), sha256, chunk_size)

    async def _stream(self, key: str, sha256: str, chunk_size: int) -> AsyncIterator[bytes]:
        try:
            response = await self._call(self._client.get_object, Bucket=self.bucket, Key=key)
        except Exception as e:
            if _is_missing(e):
                raise BlobNotFound(f"no blob {sha256}") from None
            raise
        body = response["Body"]
        chunks = body.iter_chunks(chunk_size)
        try:
            while chunk := await asyncio.to_thread(next, chunks, b""):
                yield chunk
        finally:
            body.close()

    async def read_range(self, sha256: str, start: int, end: int) -> bytes:
        key = self.key_of(sha256)
        if start < 0 or end < start:
            raise ValueError(f"bad range [{start}, {end})")
        if end == start:
            if not await self.exists(sha256):
                raise BlobNotFound(f"no blob {sha256}")
            return b""
        try:
            response = await self._call(
                self._client.get_object,
                Bucket=self.bucket,
                Key=key,
                Range=f"bytes={start}-{end - 1}",
            )
        except Exception as e:
            if _is_missing(e):
                raise BlobNotFound(f"no blob {sha256}") from None
            if _s3_error_code(e) == "InvalidRange":
                return b""  # start is past the end: same answer as a file read
            raise
        return await asyncio.to_thread(response["Body"].read)

    async def delete(self, sha256: str) -> None:
        await self._call(self._client.delete_object, Bucket=self.bucket, Key=self.key_of(sha256))


def _refuse_overwrite(request: Any, **_: Any) -> None:
    """Make every object write conditional on the key being absent (S3 conditional writes)."""
    request.headers["If-None-Match"] = "*"
