"""Resumable uploads (tus 1.0 core, creation, creation-with-upload): partial files on disk with a
JSON sidecar each.

Each upload lives in `data_dir/uploads/<id>/` as `data` (the bytes received so far) and
`info.json` (declared length, SHA-256, media type, case, client id; once complete, what the checks
found). The offset is the size of `data`: bytes are hashed as they stream to disk and fsynced
before the offset is acknowledged, so after a dropped connection or a server restart the client
resumes from the server's offset. When the last byte arrives the file is checked (hash, then
content via `inspect`) and committed to the blob store under the hash computed while receiving;
a refused upload leaves nothing behind.

Only what a client cannot redo is fsynced: the bytes behind an offset, and the blob. The record
of a new upload and of a completed one is written atomically but not synced, since the client
holds its capture until finalising succeeds: a creation lost in a crash reads as "no such upload"
and is made again, a completion lost after the blob was stored is inspected again from the blob
(`ensure_complete`). Each fsync costs a journal commit: one per chunk, not three.

The upload id is derived from (owner, case, client id), so a client that lost the `Location`
of its upload gets the same upload back by creating it again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backend.blobstore import BlobHashMismatch, BlobStore, local_copy, validate_sha256
from backend.errors import CaseTrailError, Conflict, Invalid, NotFound, TooLarge, UnsupportedMedia
from backend.evidence.refusals import words
from backend.evidence.sniff import ALLOWED_BY_KIND, normalize_mime
from backend.evidence.writeback import start_writeback
from backend.settings import MediaLimits

log = logging.getLogger("casetrail.evidence")

TUS_VERSION = "1.0.0"
UPLOAD_NAMESPACE = uuid.UUID("0b7c4f7e-3c55-4a51-9b1e-5d0f1d6a2e90")
WRITE_BATCH = 1 << 20  # bytes gathered before one write+hash in a worker thread
_HASH_CHUNK = 1 << 20
_ID = re.compile(r"[0-9a-f]{32}")
# An upload untouched this long is dropped by `sweep`: phones offline for days still come back
# well within it, and the bytes are on the phone until its entry is acknowledged.
ABANDONED_AFTER = timedelta(days=30)

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
MEDIA_TYPES: dict[str, frozenset[str]] = {
    **ALLOWED_BY_KIND,
    "document": ALLOWED_BY_KIND["document"] | {"image/jpeg", "image/png"},
    "signature": IMAGE_TYPES,
    "fingerprint": IMAGE_TYPES,
}


class UploadLocked(CaseTrailError):
    """Another request is writing to this upload right now (tus servers answer 423)."""

    status, code = 423, "upload_locked"


class OffsetMismatch(Conflict):
    """The client sent bytes for another offset than the upload is at (it says which)."""

    code = "offset_mismatch"


def media_kind(name: str) -> str:
    """`media.photo` or `photo` -> `photo`; Invalid for anything that is not a media kind."""
    short = name.removeprefix("media.")
    if short not in MEDIA_TYPES:
        raise Invalid(f"not a media kind: {name!r:.60}", code="bad_media_kind")
    return short


def kind_for_type(media_type: str) -> str:
    """The media kind a type belongs to when the client does not say (photo, audio, video...)."""
    mime = normalize_mime(media_type)
    for kind in ("photo", "audio", "video", "document"):
        if mime in MEDIA_TYPES[kind]:
            return kind
    raise type_not_accepted(mime)


def type_not_accepted(mime: str) -> UnsupportedMedia:
    """415 like every other type refusal: the request is fine, its media type is not wanted."""
    zh, en = words("unsupported_media_type", media_type=mime[:80])
    return UnsupportedMedia(
        f"{zh} / {en}",
        code="unsupported_media_type",
        detail={"message_zh": zh, "message_en": en},
    )


def limit_for(limits: MediaLimits, kind: str) -> int:
    return getattr(limits, {"fingerprint": "signature"}.get(kind, kind))


def check_filename(name: str) -> str:
    """A device file name as metadata only; anything that could act as a path is refused."""
    if (
        not name
        or len(name) > 255
        or name in {".", ".."}
        or any(c in name for c in "/\\\x00")
        or any(ord(c) < 32 for c in name)
    ):
        raise Invalid(f"file name {name!r:.80} is not a plain file name", code="bad_filename")
    return name


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus `Upload-Metadata`: comma-separated `key base64value` pairs."""
    out: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as bad:
            raise Invalid(f"Upload-Metadata value of {key!r:.40} is not base64 UTF-8",
                          code="bad_upload_metadata") from bad  # fmt: skip
    return out


@dataclass
class Upload:
    """One upload as its sidecar records it."""

    id: str
    length: int
    sha256: str
    media_type: str
    kind: str
    case_id: str
    client_id: str
    owner: str | None
    created_at: str
    filename: str | None = None
    offset: int = 0
    complete: bool = False
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"/api/uploads/{self.id}"


# Content checks run on the finished file before it is stored; raise CaseTrailError to refuse.
Inspect = Callable[[Path, Upload], Awaitable[dict[str, Any]]]


class UploadStore:
    """Partial uploads under `root`, committed to `blobs` once complete and verified."""

    def __init__(
        self,
        root: Path,
        blobs: BlobStore,
        limits: MediaLimits,
        inspect: Inspect | None = None,
    ) -> None:
        self.root = Path(root)
        self.blobs = blobs
        self.limits = limits
        self.inspect = inspect
        # Running hashes by upload id, with the offset they cover; lost on restart, when the
        # partial file is re-hashed from disk instead.
        self._hashers: dict[str, tuple[int, Any]] = {}

    @property
    def max_size(self) -> int:
        return max(limit_for(self.limits, k) for k in MEDIA_TYPES)

    def upload_id(self, owner: str | None, case_id: str, client_id: str) -> str:
        return uuid.uuid5(UPLOAD_NAMESPACE, f"{owner or ''}\n{case_id}\n{client_id}").hex

    def _dir(self, upload_id: str) -> Path:
        if not _ID.fullmatch(upload_id):
            raise NotFound("no such upload", code="upload_not_found")
        return self.root / upload_id

    # -- creation ----------------------------------------------------------------------------

    async def create(
        self, length: int | None, metadata: dict[str, str], owner: str | None
    ) -> Upload:
        """Start an upload (or return the one already started for this capture)."""
        if length is None:
            raise Invalid("Upload-Length is required", code="upload_length_required")
        if length <= 0:
            raise Invalid("an upload of zero bytes holds no evidence", code="empty_upload")
        for key in ("sha256", "media_type", "case_id", "client_id"):
            if not metadata.get(key):
                raise Invalid(f"Upload-Metadata must carry {key}", code="bad_upload_metadata")
        sha256 = validate_sha256(metadata["sha256"].lower())
        media_type = normalize_mime(metadata["media_type"])
        kind = media_kind(metadata["kind"]) if metadata.get("kind") else kind_for_type(media_type)
        if media_type not in MEDIA_TYPES[kind]:
            raise type_not_accepted(media_type)
        limit = limit_for(self.limits, kind)
        if length > limit:
            raise TooLarge(
                f"{kind} uploads are limited to {limit} bytes; this one declares {length}",
                code="upload_too_large",
                detail={"kind": kind, "limit": limit, "length": length},
            )
        filename = check_filename(metadata["filename"]) if metadata.get("filename") else None
        for key in ("case_id", "client_id"):
            if len(metadata[key]) > 120:
                raise Invalid(f"{key} is longer than 120 characters", code="bad_upload_metadata")
        upload = Upload(
            id=self.upload_id(owner, metadata["case_id"], metadata["client_id"]),
            length=length,
            sha256=sha256,
            media_type=media_type,
            kind=kind,
            case_id=metadata["case_id"],
            client_id=metadata["client_id"],
            owner=owner,
            created_at=datetime.now(UTC).isoformat(),
            filename=filename,
        )
        return await asyncio.to_thread(self._create_sync, upload)

    def _create_sync(self, upload: Upload) -> Upload:
        folder = self._dir(upload.id)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with _Lock(folder):
                existing = self._read(folder)
                if existing is None:
                    (folder / "data").write_bytes(b"")  # no record, so no acknowledged bytes
                    self._hashers.pop(upload.id, None)
                    self._write(folder, upload)
                    return upload
        except UploadLocked:
            # A request is still sending to it (perhaps the one whose answer the client lost):
            # what the record says now is the answer; never a thread left waiting on a phone.
            existing = self._read(folder)
            if existing is None:
                raise
        same = (existing.length, existing.sha256, existing.media_type, existing.kind)
        if same != (upload.length, upload.sha256, upload.media_type, upload.kind):
            raise Conflict(
                "this client_id is already uploading a different file", code="client_id_reused"
            )
        return existing

    # -- reading -----------------------------------------------------------------------------

    async def get(self, upload_id: str, owner: str | None) -> Upload:
        upload = await asyncio.to_thread(self._read, self._dir(upload_id))
        if upload is None or upload.owner != owner:
            raise NotFound("no such upload", code="upload_not_found")
        return upload

    async def find(self, owner: str | None, case_id: str, client_id: str) -> Upload | None:
        upload = await asyncio.to_thread(
            self._read, self._dir(self.upload_id(owner, case_id, client_id))
        )
        return upload if upload is not None and upload.owner == owner else None

    async def find_complete(
        self,
        owner: str | None,
        case_id: str,
        client_id: str,
        sha256: str,
        *,
        missing: str = "no upload for this capture",
        incomplete: Callable[[Upload], str] | None = None,
        mismatch: str = "sha256 differs from the uploaded file's",
    ) -> Upload:
        """The finished upload a capture or an import names, or the refusal a client acts on.

        `upload_not_found` (send it), `upload_incomplete` (resume at the offset) or
        `sha256_mismatch`; the messages are the caller's, for the screen that shows them.
        """
        upload = await self.find(owner, case_id, client_id)
        if upload is None:
            raise NotFound(missing, code="upload_not_found")
        upload = await self.ensure_complete(upload)
        if not upload.complete:
            message = (
                incomplete(upload)
                if incomplete
                else f"upload has {upload.offset} of {upload.length} bytes"
            )
            raise Conflict(
                message,
                code="upload_incomplete",
                detail={"offset": upload.offset, "length": upload.length},
            )
        if upload.sha256 != sha256:
            raise Conflict(mismatch, code="sha256_mismatch")
        return upload

    def _read(self, folder: Path) -> Upload | None:
        try:
            upload = Upload(**json.loads((folder / "info.json").read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            # An unsynced record cut short by a crash: the upload is made again by its client.
            log.warning("upload record %s is unreadable; treated as absent", folder.name)
            return None
        # Without `data`, every byte arrived: the blob store took it (or a crash lost it, which
        # `_finish_arrived` finds out).
        upload.offset = upload.length
        if not upload.complete and (size := _size(folder / "data")) is not None:
            upload.offset = min(size, upload.length)
        return upload

    def _write(self, folder: Path, upload: Upload) -> None:
        record = asdict(upload)
        del record["offset"]  # the size of `data` says it
        tmp = folder / "info.json.tmp"
        tmp.write_text(json.dumps(record))
        os.replace(tmp, folder / "info.json")

    # -- appending ---------------------------------------------------------------------------

    async def append(
        self,
        upload_id: str,
        owner: str | None,
        offset: int | None,
        body: AsyncIterator[bytes],
        content_length: int | None = None,
    ) -> Upload:
        """Write one PATCH body at `offset`; completes the upload when the last byte arrives."""
        if offset is None or offset < 0:
            raise Invalid("Upload-Offset is required", code="upload_offset_required")
        folder = self._dir(upload_id)
        lock = _Lock(folder)
        upload = await asyncio.to_thread(self._lock_and_read, lock, folder, owner)
        try:
            if offset != upload.offset:
                raise OffsetMismatch(
                    f"upload is at offset {upload.offset}, not {offset}",
                    detail={"offset": upload.offset},
                )
            if upload.complete:
                return upload
            if upload.offset == upload.length:  # a crash came between the last byte and the end
                await self._finish_arrived(folder, upload)
                return upload
            if content_length is not None and offset + content_length > upload.length:
                raise TooLarge(
                    f"{offset + content_length} bytes would pass the declared length "
                    f"{upload.length}",
                    code="upload_exceeds_length",
                )
            await self._receive(folder, upload, body)
            if upload.offset == upload.length:
                await self._complete(folder, upload)
            return upload
        finally:
            await asyncio.to_thread(lock.release)

    def _lock_and_read(self, lock: _Lock, folder: Path, owner: str | None) -> Upload:
        # One trip to a worker thread instead of two: every trip costs two context switches.
        if not (folder / "info.json").exists():  # not even a lock file for a stranger's guess
            raise NotFound("no such upload", code="upload_not_found")
        lock.acquire()
        try:
            upload = self._read(folder)
            if upload is None or upload.owner != owner:
                raise NotFound("no such upload", code="upload_not_found")
        except BaseException:
            lock.release()
            raise
        return upload

    def _open_at_offset(self, folder: Path, upload: Upload) -> tuple[Any, Any]:
        hasher = self._cached_hasher(upload) or _hash_prefix(folder / "data", upload.offset)
        file = open(folder / "data", "r+b")  # noqa: SIM115 (closed by _finish_writing)
        file.seek(upload.offset)
        return file, hasher

    async def _receive(self, folder: Path, upload: Upload, body: AsyncIterator[bytes]) -> None:
        start = upload.offset
        file, hasher = await asyncio.to_thread(self._open_at_offset, folder, upload)
        written = 0  # bytes handed to the writer, which hashes and writes them in order
        refused = False
        pending: list[bytes] = []
        pending_size = 0  # bytes in `pending`
        # One batch is hashed and written in a thread while the next one arrives; shielded, so
        # that a cancelled request still waits for it before the file is settled.
        writing: asyncio.Future[None] | None = None
        try:
            # A body that stops arriving (a phone that lost its signal often leaves no trace on
            # the server's side) is ended by the server's minimum body rate (backend/http_limits):
            # the stream then fails as for a dropped connection, and the lock is let go.
            async for chunk in body:
                if start + written + pending_size + len(chunk) > upload.length:
                    refused = True
                    raise TooLarge(
                        f"more bytes than the declared length {upload.length}",
                        code="upload_exceeds_length",
                    )
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= WRITE_BATCH:
                    if writing is not None:
                        await asyncio.shield(writing)
                    writing = asyncio.ensure_future(
                        asyncio.to_thread(_write_hashing, file, hasher, pending)
                    )
                    written += pending_size
                    pending, pending_size = [], 0
            if writing is not None:
                await asyncio.shield(writing)
        except BaseException:
            if writing is not None and not writing.done():
                await asyncio.wait([writing])
            if writing is not None and (writing.cancelled() or writing.exception()):
                refused = True  # what reached the disk is unknown: drop this request's bytes
            raise
        finally:
            # A dropped connection keeps what arrived (the batch not yet written too): made
            # durable, then acknowledged. The bytes of a request that completes the upload are
            # synced as the blob they become.
            if refused:
                written, pending, pending_size = 0, [], 0
                self._hashers.pop(upload.id, None)
            upload.offset = start + written + pending_size
            partial = refused or upload.offset < upload.length
            # Waited for even by a cancelled request: the lock must outlast every write.
            await _to_the_end(
                asyncio.to_thread(_finish_writing, file, hasher, pending, upload.offset, partial)
            )
            if not refused:
                self._hashers[upload.id] = (upload.offset, hasher)

    def _cached_hasher(self, upload: Upload) -> Any | None:
        """The running hash this process kept, if it covers exactly the bytes up to the offset."""
        cached = self._hashers.pop(upload.id, None)
        return cached[1] if cached is not None and cached[0] == upload.offset else None

    # -- completing --------------------------------------------------------------------------

    async def _complete(self, folder: Path, upload: Upload) -> None:
        hasher = self._cached_hasher(upload) or await asyncio.to_thread(
            _hash_prefix, folder / "data", upload.offset
        )
        digest = hasher.hexdigest()
        try:
            if digest != upload.sha256:
                raise BlobHashMismatch(
                    f"declared sha256 {upload.sha256}, received bytes hash to {digest}",
                    detail={"declared": upload.sha256, "received": digest},
                )
            # The bytes go to the disk while they are inspected: both wait on different things.
            syncing = asyncio.ensure_future(asyncio.to_thread(_sync_file, folder / "data"))
            try:
                if self.inspect is not None:
                    upload.facts = await self.inspect(folder / "data", upload)
            finally:
                await _to_the_end(syncing)
            # The digest covers exactly the bytes this process wrote under the upload's lock (or
            # re-read from disk after a restart), so the store need not read them again.
            await self.blobs.put_file(folder / "data", upload.sha256, hashed=True)
        except CaseTrailError:
            await self.discard(upload.id)
            raise
        upload.complete = True
        await asyncio.to_thread(self._write, folder, upload)

    async def ensure_complete(self, upload: Upload) -> Upload:
        """Finish an upload whose last byte arrived but whose commit a crash interrupted."""
        if upload.complete or upload.offset != upload.length:
            return upload
        folder = self._dir(upload.id)
        lock = _Lock(folder)
        current = await asyncio.to_thread(self._lock_and_read, lock, folder, upload.owner)
        try:
            if not current.complete:
                await self._finish_arrived(folder, current)
            return current
        finally:
            await asyncio.to_thread(lock.release)

    async def _finish_arrived(self, folder: Path, upload: Upload) -> None:
        """Complete an upload holding every byte, under its lock, wherever a crash left it."""
        if (folder / "data").exists():
            await self._complete(folder, upload)
            return
        if not await self.blobs.exists(upload.sha256):
            # A crash took the bytes between the upload folder and the blob store.
            await self.discard(upload.id)
            raise NotFound("the upload was lost; send it again", code="upload_not_found")
        # Stored, but the record of its checks was lost: check the blob again.
        if self.inspect is not None:
            try:
                async with local_copy(self.blobs, upload.sha256, self.root.parent / "tmp") as path:
                    upload.facts = await self.inspect(path, upload)
            except CaseTrailError:
                await self.discard(upload.id)
                raise
        upload.complete = True
        await asyncio.to_thread(self._write, folder, upload)

    async def sweep(
        self, finalised: Callable[[Upload], Awaitable[bool]], now: datetime | None = None
    ) -> int:
        """Remove the folders of uploads nobody will send to again; returns how many.

        An upload whose entry is on the timeline needs its folder no more (a resend of the
        finalise finds the entry first). One untouched for ABANDONED_AFTER is dropped with its
        partial bytes: a phone that comes back is told "no such upload" and sends it all again.
        A folder a request holds is left for the next sweep. Stored blobs are never touched.
        """
        cutoff = (now or datetime.now(UTC)).timestamp() - ABANDONED_AFTER.total_seconds()
        removed = 0
        for folder in await asyncio.to_thread(_upload_folders, self.root):
            async with _unless_held(folder) as ours:
                if not ours:
                    continue
                try:
                    upload = await asyncio.to_thread(self._read, folder)
                    stale = await asyncio.to_thread(_last_touched, folder) < cutoff
                    if stale or (upload and upload.complete and await finalised(upload)):
                        await self.discard(folder.name)
                        removed += 1
                except OSError:  # one odd folder must not stop the sweep of the others
                    log.exception("could not sweep upload folder %s", folder.name)
        return removed

    async def discard_if_empty(self, upload_id: str) -> None:
        """Remove an upload that holds no byte, unless a request is sending to it."""
        folder = self._dir(upload_id)
        async with _unless_held(folder) as ours:
            upload = await asyncio.to_thread(self._read, folder) if ours else None
            if upload is not None and not upload.complete and upload.offset == 0:
                await self.discard(upload_id)

    async def discard(self, upload_id: str) -> None:
        self._hashers.pop(upload_id, None)
        folder = self._dir(upload_id)
        # The record goes first: a half-removed folder must not read as a handed-over upload.
        await asyncio.to_thread((folder / "info.json").unlink, True)
        await asyncio.to_thread(shutil.rmtree, folder, True)


def _write_hashing(file: Any, hasher: Any, chunks: list[bytes]) -> None:
    start = file.tell()
    for chunk in chunks:  # joining them first would copy every byte once more
        hasher.update(chunk)
    file.writelines(chunks)
    file.flush()
    start_writeback(file.fileno(), start, file.tell() - start)


@asynccontextmanager
async def _unless_held(folder: Path) -> AsyncIterator[bool]:
    """Hold the upload's lock for the block, or yield False (holding nothing) if a request does."""
    lock = _Lock(folder)
    try:
        await asyncio.to_thread(lock.acquire)
    except (UploadLocked, NotFound):
        yield False
        return
    try:
        yield True
    finally:
        await asyncio.to_thread(lock.release)


async def _to_the_end(work: Awaitable[None]) -> None:
    """Await `work` to its end, even when the caller is cancelled meanwhile (then re-raise)."""
    future = asyncio.ensure_future(work)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


def _hash_prefix(path: Path, length: int) -> Any:
    """The running hash of a file's first `length` bytes: after a restart (or on another worker)
    it is rebuilt from the disk."""
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        remaining = length
        while remaining and (chunk := f.read(min(_HASH_CHUNK, remaining))):
            hasher.update(chunk)
            remaining -= len(chunk)
    return hasher


def _upload_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*") if _ID.fullmatch(p.name) and p.is_dir())


def _last_touched(folder: Path) -> float:
    """When a request last wrote to the upload (its record or its bytes)."""
    return max((p.stat().st_mtime for p in folder.iterdir()), default=0.0)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _sync_file(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())


def _finish_writing(file: Any, hasher: Any, pending: list[bytes], size: int, sync: bool) -> None:
    """The last batch written, the file cut to `size` (dropping a refused request's bytes)."""
    try:
        if pending:
            _write_hashing(file, hasher, pending)
        file.flush()
        file.truncate(size)
        if sync:
            os.fsync(file.fileno())
    finally:
        file.close()


class _Lock:
    """An flock on the upload's folder: one writer per upload across threads, workers and requests.

    Never waited for: a request that finds it taken is told so (423), since the holder may be a
    phone sending slowly, and a worker thread must not sit behind it.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd: int | None = None

    def acquire(self) -> None:
        try:
            self.fd = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the upload was discarded meanwhile
            raise NotFound("no such upload", code="upload_not_found") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            raise UploadLocked("another request is writing to this upload") from None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> _Lock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
