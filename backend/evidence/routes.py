"""HTTP routes for evidence: tus uploads, finalising media, blob downloads, AV sessions, devices."""

from __future__ import annotations

import mimetypes
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, head, patch, post, route
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import HttpMethod
from litestar.params import Parameter
from litestar.response import Stream

from backend.blobstore import BlobStore, validate_sha256
from backend.client_address import client_ip
from backend.errors import CaseTrailError, Invalid, NotFound, TooLarge, UnsupportedMedia
from backend.evidence import av_sessions, devices
from backend.evidence.blob_access import readable_case_for, refuse_if_confidential
from backend.evidence.byte_ranges import RangeNotSatisfiable, parse_range, stream_range
from backend.evidence.import_routes import IMPORT_ROUTES, import_token_auth
from backend.evidence.ingest import (
    VARIANTS,
    DeviceInfo,
    MediaRequest,
    ensure_derivatives,
    finalise_media,
    inspect_upload,
)
from backend.evidence.schemas import (
    AssignmentIn,
    CheckIn,
    DeviceIn,
    FaultIn,
    MediaIn,
    SessionStepIn,
)
from backend.evidence.tables import EvidenceDevice, EvidenceMedia
from backend.evidence.uploads import (
    TUS_VERSION,
    OffsetMismatch,
    Upload,
    UploadLocked,
    UploadStore,
    parse_metadata,
)
from backend.identity.access import case_agency, check_case, check_client_id, principal_of
from backend.identity.access_log import log_access
from backend.ledger.ledger import Ledger
from backend.ledger.schemas import EntryOut
from backend.openapi import RANGE_RESPONSES
from backend.settings import Settings

TUS_HEADERS = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}


class TusVersionMismatch(CaseTrailError):
    status, code = 412, "tus_version_unsupported"


def provide_uploads(state: State, settings: Settings) -> UploadStore:
    store = state.get("evidence_uploads")
    if store is None:
        store = UploadStore(
            settings.data_dir / "uploads", state.blobs, settings.media_limits, inspect_upload
        )
        state.evidence_uploads = store
    return store


def entry_out(entry: Any) -> EntryOut:
    return msgspec.convert(entry.to_json(), EntryOut)


def _int_header(request: Request, name: str) -> int | None:
    value = request.headers.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):  # "²" is a digit to str.isdigit
        raise Invalid(f"{name} must be a non-negative integer", code="bad_header")
    return int(value)


def _tus_check(request: Request) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusVersionMismatch(f"send Tus-Resumable: {TUS_VERSION}")


def _chunk_content_type(request: Request) -> None:
    content_type = request.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip() != "application/offset+octet-stream":
        raise UnsupportedMedia("chunks are sent as application/offset+octet-stream")


def _upload_headers(upload: Upload) -> dict[str, str]:
    return {
        **TUS_HEADERS,
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
    }


class UploadsController(Controller):
    """tus 1.0.0 core + creation at /api/uploads."""

    path = "/uploads"
    tags = ["evidence"]
    opt = {"tus": True}  # documents tus' own refusals (backend/openapi.py)
    middleware = [import_token_auth]  # `casetrail import` uploads with an import token
    dependencies = {"uploads": Provide(provide_uploads, sync_to_thread=False)}

    # Litestar gives each path an automatic OPTIONS handler (no access rule, so refused) when the
    # first handler it registers there has none, and that one then shadows an OPTIONS handler
    # registered later. A controller registers its handlers in name order, so this one's name
    # must sort before every other handler on "/" (`create`); test_options_describes_the_tus_server
    # guards it.
    @route(
        "/",
        http_method=[HttpMethod.OPTIONS],
        operation_id="uploadOptions",
        opt={"access": "staff"},
        status_code=204,
    )
    async def capabilities(self, uploads: UploadStore) -> Response[None]:
        """What this tus server supports."""
        return Response(
            None,
            status_code=204,
            headers={
                **TUS_HEADERS,
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": "creation,creation-with-upload",
                "Tus-Max-Size": str(uploads.max_size),
            },
        )

    @post(
        "/",
        operation_id="createUpload",
        opt={"access": "staff"},
        status_code=201,
        request_max_body_size=None,  # bounded by Upload-Length, as for a chunk
    )
    async def create(self, request: Request, uploads: UploadStore) -> Response[None]:
        """Start an upload: Upload-Length and Upload-Metadata (sha256, media_type, case_id, client_id, filename).

        With creation-with-upload the body carries the first bytes (a photo, whole), saving a
        round trip per capture.
        """
        _tus_check(request)
        length = _int_header(request, "Upload-Length")
        body_length = _int_header(request, "Content-Length")
        first_bytes = bool(body_length) or (
            "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        )
        if first_bytes:
            _chunk_content_type(request)
            if body_length is not None and length is not None and body_length > length:
                raise TooLarge(
                    f"{body_length} bytes would pass the declared length {length}",
                    code="upload_exceeds_length",
                )
        me = principal_of(request)
        metadata = parse_metadata(request.headers.get("Upload-Metadata"))
        if "client_id" in metadata:  # a missing one is the store's bad_upload_metadata
            check_client_id(metadata["client_id"])
        if "case_id" in metadata:  # refuse before a byte is stored, not at finalise
            await check_case(me, metadata["case_id"], write=True)
        upload = await uploads.create(length, metadata, me.staff_id)
        if first_bytes and upload.offset == 0 and not upload.complete:
            # A re-created upload that already holds bytes ignores these: its offset says where
            # the client goes on. So does one another request is sending to right now.
            try:
                upload = await uploads.append(
                    upload.id, me.staff_id, 0, request.stream(), body_length
                )
            except (UploadLocked, OffsetMismatch):
                upload = await uploads.get(upload.id, me.staff_id)
            except CaseTrailError:
                await uploads.discard_if_empty(upload.id)  # refused bytes leave no upload behind
                raise
        return Response(
            None,
            status_code=201,
            headers={**_upload_headers(upload), "Location": upload.location},
        )

    @head("/{upload_id:str}", operation_id="uploadOffset", opt={"access": "staff"})
    async def offset(
        self, request: Request, upload_id: str, uploads: UploadStore
    ) -> Response[None]:
        """Where to resume: Upload-Offset and Upload-Length."""
        upload = await uploads.get(upload_id, principal_of(request).staff_id)
        return Response(None, status_code=200, headers=_upload_headers(upload))

    @patch(
        "/{upload_id:str}",
        operation_id="uploadChunk",
        opt={"access": "staff"},
        status_code=204,
        # The body is streamed to disk as it arrives, never read whole; the per-kind limit
        # and the declared Upload-Length bound it.
        request_max_body_size=None,
    )
    async def chunk(self, request: Request, upload_id: str, uploads: UploadStore) -> Response[None]:
        """Append bytes at Upload-Offset; the last chunk completes and verifies the upload."""
        _tus_check(request)
        _chunk_content_type(request)
        me = principal_of(request)
        upload = await uploads.append(
            upload_id,
            me.staff_id,
            _int_header(request, "Upload-Offset"),
            request.stream(),
            _int_header(request, "Content-Length"),
        )
        headers = _upload_headers(upload)
        headers["Upload-Complete"] = "1" if upload.complete else "0"
        return Response(None, status_code=204, headers=headers)


async def _agency_pack(agency_id: str) -> dict[str, Any] | None:
    from backend.cases.lifecycle import pack_for

    try:
        return (await pack_for(agency_id)).data
    except CaseTrailError:
        return None


async def _case_pack(case_id: str) -> tuple[str | None, dict[str, Any] | None]:
    """The agency of a case (or agency timeline) and its rule pack."""
    agency_id = await case_agency(case_id)
    if agency_id is None:
        raise NotFound("no such case", code="case_not_found")
    return agency_id, await _agency_pack(agency_id)


class MediaController(Controller):
    path = ""
    tags = ["evidence"]
    dependencies = {"uploads": Provide(provide_uploads, sync_to_thread=False)}

    @post(
        "/cases/{case_id:str}/media",
        operation_id="finaliseMedia",
        opt={"access": "case:write"},
        status_code=201,
    )
    async def finalise(
        self,
        request: Request,
        case_id: str,
        data: MediaIn,
        ledger: Ledger,
        blobs: BlobStore,
        uploads: UploadStore,
        settings: Settings,
    ) -> Response:
        """Turn a finished upload into a media entry with its findings; idempotent on client_id."""
        check_client_id(data.client_id)
        me = principal_of(request)
        agency_id, pack = await _case_pack(case_id)
        device = None
        if data.device and agency_id:
            row = (
                await EvidenceDevice.select(EvidenceDevice.make, EvidenceDevice.model)
                .where(
                    (EvidenceDevice.agency_id == agency_id)
                    & (EvidenceDevice.number_key == devices.device_key(data.device))
                )
                .first()
            )
            device = DeviceInfo(row["make"], row["model"]) if row else None
        entry = await finalise_media(
            ledger,
            blobs,
            uploads,
            case_id=case_id,
            actor=me.staff_id,
            request=MediaRequest(**msgspec.structs.asdict(data)),
            pack=pack,
            device=device,
        )
        # Thumbnails, posters and public copies are made on first request: the capture path
        # stays as fast as the disk, and derivatives can always be made again from the original.
        return Response(msgspec.to_builtins(entry_out(entry)), status_code=201)

    @get(
        "/blobs/{sha256:str}",
        operation_id="readBlob",
        opt={"access": "staff"},
        responses=RANGE_RESPONSES,
    )
    async def read_blob(
        self,
        request: Request,
        sha256: str,
        blobs: BlobStore,
        settings: Settings,
        ledger: Ledger,
        variant: str | None = Parameter(default=None),
    ) -> Response:
        """Stream a blob (or its thumbnail/public/poster) to someone who may read its case.

        Honours a single `Range` (206 Partial Content), so a supervisor can seek in a video.
        """
        me = principal_of(request)
        sha256 = validate_sha256(sha256)
        case_id = await readable_case_for(me, sha256)
        if case_id is None:
            raise NotFound("no such blob", code="blob_not_found")  # same answer as absent
        await refuse_if_confidential(ledger, me, sha256, case_id, variant, request)
        row = (
            await EvidenceMedia.select(EvidenceMedia.media_type)
            .where(EvidenceMedia.sha256 == sha256)
            .first()
        )
        media_type = row["media_type"] if row else "application/octet-stream"
        served = sha256
        if variant is not None:
            if variant not in VARIANTS:
                raise Invalid(f"variant is one of {VARIANTS}", code="bad_variant")
            made = await ensure_derivatives(
                blobs, sha256, media_type, settings.data_dir / "tmp", variants=(variant,)
            )
            if variant not in made:
                raise NotFound(f"no {variant} for this media", code="variant_not_found")
            served, media_type = made[variant], "image/jpeg"
        size = await blobs.size(served)
        etag = f'"{served}"'
        headers = {
            "Accept-Ranges": "bytes",
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "ETag": etag,
        }
        if not media_type.startswith(("image/", "audio/", "video/")):
            # A PDF (or anything else a browser would open as a page) is saved, not opened in
            # the app's origin; the security headers sandbox it should someone open it anyway.
            extension = mimetypes.guess_extension(media_type) or ""
            headers["Content-Disposition"] = f'attachment; filename="{served[:12]}{extension}"'
        if_range = request.headers.get("if-range")
        try:
            wanted = (
                parse_range(request.headers.get("range"), size)
                if if_range is None or if_range == etag
                else None
            )
        except RangeNotSatisfiable as bad:
            return Response(
                {"code": bad.code, "message": bad.message},
                status_code=416,
                headers={**headers, "Content-Range": f"bytes */{size}"},
            )
        # A video player seeks with many ranged requests; one view is the one starting at 0.
        if wanted is None or wanted.start == 0:
            await log_access(
                ledger,
                me,
                case_id,
                "media",
                what=f"{sha256}:{variant or 'original'}",
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent"),
            )
        if wanted is None:
            return Stream(
                blobs.open(served),
                media_type=media_type,
                headers={**headers, "Content-Length": str(size)},
            )
        return Stream(
            stream_range(blobs, served, wanted),
            status_code=206,
            media_type=media_type,
            headers={
                **headers,
                "Content-Length": str(wanted.length),
                "Content-Range": wanted.content_range,
            },
        )


class SessionsController(Controller):
    path = "/cases/{case_id:str}/av-sessions"
    tags = ["evidence"]

    @post("/steps", operation_id="recordSessionStep", opt={"access": "case:write"}, status_code=201)
    async def step(
        self, request: Request, case_id: str, data: SessionStepIn, ledger: Ledger
    ) -> EntryOut:
        """Start, segment, interrupt, resume, end or close a recording session in writing."""
        entry = await av_sessions.record_step(
            ledger,
            case_id,
            data.kind,
            data.client_id,
            data.payload,
            actor=principal_of(request).staff_id,
            device=data.device,
            claimed=data.claimed,
        )
        return entry_out(entry)

    @get("/{session_id:str}", operation_id="readSession", opt={"access": "case:read"})
    async def read(self, case_id: str, session_id: str, ledger: Ledger) -> dict[str, Any]:
        """A recording session: start statement, segments, interruptions and how it ended."""
        return (await av_sessions.read_session(ledger, case_id, session_id)).to_json()


class DevicesController(Controller):
    path = "/devices"
    tags = ["evidence"]

    @get("/", operation_id="listDevices", opt={"access": "staff"})
    async def list(self, request: Request) -> list[dict[str, Any]]:
        """The caller's agency's recording devices with their last check and open fault."""
        return await devices.list_devices(principal_of(request).agency_id)

    @post("/", operation_id="registerDevice", opt={"access": "role:supervisor"}, status_code=201)
    async def register(self, request: Request, data: DeviceIn, ledger: Ledger) -> EntryOut:
        """Register a device (device.registered on agency:<id>)."""
        me = principal_of(request)
        entry = await devices.register_device(
            ledger, me.agency_id, actor=me.staff_id, **msgspec.structs.asdict(data)
        )
        return entry_out(entry)

    @post(
        "/{number:str}/assignment",
        operation_id="assignDevice",
        opt={"access": "role:supervisor"},
        status_code=201,
    )
    async def assign(
        self, request: Request, number: str, data: AssignmentIn, ledger: Ledger
    ) -> EntryOut:
        me = principal_of(request)
        entry = await devices.assign_device(
            ledger, me.agency_id, number=number, actor=me.staff_id, **msgspec.structs.asdict(data)
        )
        return entry_out(entry)

    @post(
        "/{number:str}/checks", operation_id="checkDevice", opt={"access": "staff"}, status_code=201
    )
    async def check(self, request: Request, number: str, data: CheckIn, ledger: Ledger) -> EntryOut:
        """Pre-shift check: battery, storage, clock offset (problems recorded, never refused)."""
        me = principal_of(request)
        entry = await devices.pre_shift_check(
            ledger, me.agency_id, number=number, actor=me.staff_id, **msgspec.structs.asdict(data)
        )
        return entry_out(entry)

    @post(
        "/{number:str}/faults",
        operation_id="reportDeviceFault",
        opt={"access": "staff"},
        status_code=201,
    )
    async def fault(self, request: Request, number: str, data: FaultIn, ledger: Ledger) -> EntryOut:
        me = principal_of(request)
        entry = await devices.report_fault(
            ledger, me.agency_id, number=number, actor=me.staff_id, **msgspec.structs.asdict(data)
        )
        return entry_out(entry)


API_ROUTES = [
    UploadsController,
    MediaController,
    SessionsController,
    DevicesController,
    *IMPORT_ROUTES,
]
