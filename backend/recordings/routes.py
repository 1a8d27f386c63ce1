"""HTTP routes for recorder imports (thin: custody.py, links.py and import_tokens.py do the work).

The bytes travel the shared tus path (`/api/uploads`, metadata `case_id = agency:<id>`); these
routes check for duplicates first, write custody, list recordings and link them to cases, and
issue the import tokens the command-line tool signs in with. Identity's authentication middleware
signs an import token's officer in on `import_tokens.TOKEN_PATHS`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import Parameter

from backend.errors import Forbidden, Invalid
from backend.evidence.uploads import UploadStore
from backend.identity.access import Principal, principal_of
from backend.identity.authentication import signed_in_by
from backend.identity.roles import may
from backend.ledger.ledger import Ledger
from backend.ledger.schemas import EntryOut
from backend.recordings import custody, import_tokens, links
from backend.recordings.custody_entries import imports_of
from backend.recordings.matching import officer_cases
from backend.recordings.schemas import (
    HeldCheckIn,
    HeldOut,
    ImporterOut,
    ImportIn,
    LinkIn,
    RecordingAnswer,
    TokenIn,
    TokenOut,
)


def supervises(me: Principal) -> bool:
    return may(me.roles, "supervise")


def by_import_token(request: Request) -> bool:
    return signed_in_by(request, import_tokens.IMPORT_TOKENS.name)


@post("/recordings/check", operation_id="checkRecordings", opt={"access": "role:officer"})
async def check_recordings(request: Request, data: HeldCheckIn) -> dict[str, HeldOut]:
    """Which of these files (by SHA-256) the agency already holds, so they are not sent again."""
    me = principal_of(request)
    if len(data.sha256) > 1000:
        raise Invalid("at most 1000 hashes per check", code="too_many_hashes")
    out: dict[str, HeldOut] = {}
    for sha in dict.fromkeys(data.sha256):
        found = await imports_of(me.agency_id, sha)
        out[sha] = (
            HeldOut(
                imported=True,
                entry_hash=found[0].hash,
                imported_at=found[0].body["received_at"],
                filename=found[0].payload["filename"],
            )
            if found
            else HeldOut(imported=False)
        )
    return out


@post("/recordings", operation_id="importRecording", opt={"access": "role:officer"})
async def import_recording(
    request: Request, data: ImportIn, ledger: Ledger, uploads: UploadStore
) -> Response[RecordingAnswer]:
    """Custody for one uploaded recorder file, with proposed cases; 200 when it is a duplicate."""
    me = principal_of(request)
    if by_import_token(request) and data.officer not in (None, me.staff_id):
        raise Forbidden("an import token only imports its officer's recordings", "token_scope")
    answer = await custody.import_recording(
        ledger, uploads, agency_id=me.agency_id, actor=me.staff_id, req=data
    )
    return Response(answer, status_code=200 if answer.status == "duplicate" else 201)


@get("/recordings", operation_id="listRecordings", opt={"access": "staff"})
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
    return await custody.recordings(me.agency_id, officer=officer, unassigned=unassigned)


@get("/recordings/{sha256:str}", operation_id="readRecording", opt={"access": "staff"})
async def read_recording(request: Request, sha256: str, ledger: Ledger) -> RecordingAnswer:
    """One recording: its custody, the cases it is on and the cases it probably belongs to."""
    me = principal_of(request)
    reader = None if supervises(me) else me.staff_id
    return await custody.read_recording(ledger, me.agency_id, sha256.lower(), reader)


@post(
    "/recordings/{sha256:str}/links",
    operation_id="linkRecording",
    opt={"access": "role:officer"},
    status_code=201,
)
async def link_recording(request: Request, sha256: str, data: LinkIn, ledger: Ledger) -> EntryOut:
    """Confirm that a recording belongs to a case (and step); stored once, referenced per case."""
    me = principal_of(request)
    if not supervises(me) and data.case_id not in await officer_cases(me.agency_id, me.staff_id):
        raise Forbidden("only the case's officers link recordings to it", code="not_case_member")
    entry = await links.link_recording(
        ledger,
        agency_id=me.agency_id,
        actor=me.staff_id,
        sha256=sha256.lower(),
        case_id=data.case_id,
        client_id=data.client_id,
        step=data.step,
        for_entry=data.for_entry,
        proposed=data.proposed,
    )
    return msgspec.convert(entry.to_json(), EntryOut)


@post(
    "/recordings/import-tokens",
    operation_id="issueImportToken",
    opt={"access": "role:officer"},
    status_code=201,
)
async def issue_import_token(request: Request, data: TokenIn, ledger: Ledger) -> TokenOut:
    """A short-lived token for `casetrail import` on this officer's computer, shown once."""
    me = principal_of(request)
    if by_import_token(request):  # out of a token's reach already; kept should that ever change
        raise Forbidden("an import token cannot make another", code="token_scope")
    return await import_tokens.issue_import_token(
        ledger, agency_id=me.agency_id, staff_id=me.staff_id, label=data.label, hours=data.hours
    )


@get("/recordings/me", operation_id="recordingImporter", opt={"access": "role:officer"})
async def importer(request: Request) -> ImporterOut:
    """Who the import tool acts for (its token's officer and agency)."""
    me = principal_of(request)
    return ImporterOut(
        staff_id=me.staff_id, agency_id=me.agency_id, via_token=by_import_token(request)
    )


API_ROUTES = [
    importer,
    check_recordings,
    import_recording,
    list_recordings,
    read_recording,
    link_recording,
    issue_import_token,
]
