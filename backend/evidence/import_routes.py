"""HTTP routes for recorder imports (thin: recorder_import.py does the work).

The bytes travel the shared tus path (`/api/uploads`, metadata `case_id = agency:<id>`); these
routes check for duplicates first, write custody, list recordings and link them to cases, and
issue the import tokens the command-line tool signs in with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.cases.lifecycle import pack_for
from backend.errors import Forbidden, Invalid, NotFound
from backend.evidence import recorder_import as rec
from backend.evidence.uploads import UploadStore
from backend.identity.access import Principal, principal_of
from backend.identity.roles import may
from backend.ledger.entry import parse_iso
from backend.ledger.ledger import Ledger
from backend.settings import Settings


class CheckIn(msgspec.Struct, forbid_unknown_fields=True):
    sha256: list[str]


class ImportIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    sha256: str
    filename: str
    media_type: str
    size: int | None = None
    device: str | None = None
    officer: str | None = None
    computer: str | None = None
    via: str = "browser"
    file_modified_at: str | None = None
    late_reason: str | None = None
    late_reason_text: str | None = None
    remote_area_return_at: str | None = None


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    case_id: str
    client_id: str
    for_entry: str | None = None
    step: str | None = None
    proposed: bool = True


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    label: str | None = None
    hours: int = rec.TOKEN_HOURS


def import_token_auth(app: ASGIApp) -> ASGIApp:
    """Lets `casetrail import` in with its import token where no session did."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not isinstance(scope.get("user"), Principal):
            headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
            principal = await rec.token_principal(headers.get("authorization"), scope["path"])
            if principal is not None:
                scope["user"] = principal
                scope["import_token"] = True  # type: ignore[typeddict-unknown-key]
        await app(scope, receive, send)

    return middleware


def supervises(me: Principal) -> bool:
    return may(me.roles, "supervise")


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = parse_iso(value)
    except ValueError as bad:
        raise Invalid(f"{name} must be an ISO 8601 time", code="bad_time") from bad
    return moment


def upload_store(state: State, settings: Settings) -> UploadStore:
    """The very store the tus routes use (same folder, limits and content checks)."""
    from backend.evidence.routes import provide_uploads  # routes.py lists these handlers

    return provide_uploads(state, settings)


@post(
    "/recordings/check",
    operation_id="checkRecordings",
    middleware=[import_token_auth],
    opt={"access": "role:officer"},
)
async def check_recordings(request: Request, data: CheckIn) -> dict[str, Any]:
    """Which of these files (by SHA-256) the agency already holds, so they are not sent again."""
    me = principal_of(request)
    if len(data.sha256) > 1000:
        raise Invalid("at most 1000 hashes per check", code="too_many_hashes")
    out: dict[str, Any] = {}
    for sha in dict.fromkeys(data.sha256):
        found = await rec.imports_of(me.agency_id, sha)
        out[sha] = (
            {
                "imported": True,
                "entry_hash": found[0].hash,
                "imported_at": found[0].body["received_at"],
                "filename": found[0].payload["filename"],
            }
            if found
            else {"imported": False}
        )
    return out


@post(
    "/recordings",
    operation_id="importRecording",
    middleware=[import_token_auth],
    opt={"access": "role:officer"},
)
async def import_recording(
    request: Request, data: ImportIn, ledger: Ledger, state: State, settings: Settings
) -> Response[dict[str, Any]]:
    """Custody for one uploaded recorder file, with proposed cases; 200 when it is a duplicate."""
    me = principal_of(request)
    if request.scope.get("import_token") and data.officer not in (None, me.staff_id):
        raise Forbidden("an import token only imports its officer's recordings", "token_scope")
    req = rec.ImportRequest(
        client_id=data.client_id,
        sha256=data.sha256.lower(),
        filename=data.filename,
        media_type=data.media_type,
        size=data.size,
        device=data.device,
        officer=data.officer,
        computer=data.computer,
        via=data.via,
        file_modified_at=_time(data.file_modified_at, "file_modified_at"),
        late_reason=data.late_reason,
        late_reason_text=data.late_reason_text,
        remote_area_return_at=_time(data.remote_area_return_at, "remote_area_return_at"),
    )
    answer = await rec.import_recording(
        ledger,
        upload_store(state, settings),
        await pack_for(me.agency_id),
        agency_id=me.agency_id,
        actor=me.staff_id,
        req=req,
    )
    return Response(answer, status_code=200 if answer["status"] == "duplicate" else 201)


@get(
    "/recordings",
    operation_id="listRecordings",
    middleware=[import_token_auth],
    opt={"access": "staff"},
)
async def list_recordings(
    request: Request,
    unassigned: bool = Parameter(default=False),
    officer: str | None = Parameter(default=None),
) -> list[dict[str, Any]]:
    """Imported recordings with custody and deadline status; supervisors see the whole agency."""
    me = principal_of(request)
    if not supervises(me):
        if officer not in (None, me.staff_id):
            raise Forbidden("officers see their own recordings", code="forbidden")
        officer = me.staff_id
    return await rec.recordings(me.agency_id, officer=officer, unassigned=unassigned)


@get(
    "/recordings/{sha256:str}",
    operation_id="readRecording",
    middleware=[import_token_auth],
    opt={"access": "staff"},
)
async def read_recording(request: Request, sha256: str, ledger: Ledger) -> dict[str, Any]:
    """One recording: its custody, the cases it is on and the cases it probably belongs to."""
    me = principal_of(request)
    found = await rec.imports_of(me.agency_id, sha256.lower())
    if not found or (not supervises(me) and found[0].payload["officer"] != me.staff_id):
        raise NotFound("no imported recording with this hash", code="recording_not_found")
    links = await rec.links_of(me.agency_id, sha256.lower())
    return await rec.recording_answer(
        ledger, await pack_for(me.agency_id), me.agency_id, found[0], links, "imported"
    )


@post(
    "/recordings/{sha256:str}/links",
    operation_id="linkRecording",
    middleware=[import_token_auth],
    opt={"access": "role:officer"},
    status_code=201,
)
async def link_recording(
    request: Request, sha256: str, data: LinkIn, ledger: Ledger
) -> dict[str, Any]:
    """Confirm that a recording belongs to a case (and step); stored once, referenced per case."""
    me = principal_of(request)
    if not supervises(me) and data.case_id not in await rec.officer_cases(
        me.agency_id, me.staff_id
    ):
        raise Forbidden("only the case's officers link recordings to it", code="not_case_member")
    entry = await rec.link_recording(
        ledger,
        await pack_for(me.agency_id),
        agency_id=me.agency_id,
        actor=me.staff_id,
        sha256=sha256.lower(),
        case_id=data.case_id,
        client_id=data.client_id,
        step=data.step,
        for_entry=data.for_entry,
        proposed=data.proposed,
    )
    return entry.to_json()


@post(
    "/recordings/import-tokens",
    operation_id="issueImportToken",
    opt={"access": "role:officer", "import_token": False},
    status_code=201,
)
async def issue_import_token(request: Request, data: TokenIn, ledger: Ledger) -> dict[str, Any]:
    """A short-lived token for `casetrail import` on this officer's computer, shown once."""
    me = principal_of(request)
    if request.scope.get("import_token"):
        raise Forbidden("an import token cannot make another", code="token_scope")
    return await rec.issue_import_token(
        ledger, agency_id=me.agency_id, staff_id=me.staff_id, label=data.label, hours=data.hours
    )


@get(
    "/recordings/me",
    operation_id="recordingImporter",
    middleware=[import_token_auth],
    opt={"access": "role:officer"},
)
async def importer(request: Request) -> dict[str, Any]:
    """Who the import tool acts for (its token's officer and agency)."""
    me = principal_of(request)
    return {
        "staff_id": me.staff_id,
        "agency_id": me.agency_id,
        "via_token": bool(request.scope.get("import_token")),
    }


IMPORT_ROUTES = [
    importer,
    check_recordings,
    import_recording,
    list_recordings,
    read_recording,
    link_recording,
    issue_import_token,
]
