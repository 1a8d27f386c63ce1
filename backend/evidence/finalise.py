"""Finalising a capture: a finished upload becomes one `media.*` entry with its findings.

When the officer's app finalises the capture, `finalise_media` compares what the file says with
what the device claims (capture_findings.py: findings never block), adds the upload deadline, and
appends one `media.*` entry, idempotent on the capture's client id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.blobstore import BlobStore
from backend.cases.capture_time import capture_moment
from backend.cases.lifecycle import pack_for
from backend.cases.rules import RulePack
from backend.cases.tables import CaseState
from backend.errors import CaseTrailError, Conflict, Invalid, NotFound, UnsupportedMedia
from backend.evidence.capture_findings import (
    agency_zone,
    device_claims,
    iso_time,
    photo_findings,
    recording_findings,
    tolerances,
)
from backend.evidence.content_credentials import Credentials, credential_findings
from backend.evidence.deadlines import upload_deadline
from backend.evidence.devices import device_info
from backend.evidence.entries import entry_by_client_id
from backend.evidence.schemas import MediaIn
from backend.evidence.sniff import normalize_mime
from backend.evidence.uploads import UploadStore, media_kind
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger, check_claimed, entry_time

AV_KINDS = {"photo", "audio", "video"}  # the kinds the pack's upload deadline applies to
CLIENT_FIELDS = (
    "step",
    "for_entry",
    "caption",
    "av_session",
    "step_started_at",
    "remote_area_return_at",
    "remote_area_reason",
    "strokes",
    "signer",
    "confidentiality",  # secret / business_secret / privacy: the v2 media schemas' enum
)


async def agency_of_timeline(case_id: str) -> str | None:
    """The agency of a case (or agency timeline); identity.access.case_agency, minus its fallback
    to the ledger, for the capture path (the access rule already found the case)."""
    if case_id.startswith("agency:"):
        return case_id.removeprefix("agency:")
    rows = await CaseState.raw(
        "SELECT agency_id FROM case_state WHERE case_id = {}", case_id
    )  # raw: building the same query through Piccolo costs more than running it
    if not rows:
        raise NotFound("no such case", code="case_not_found")
    return rows[0]["agency_id"]


async def agency_pack(agency_id: str | None) -> RulePack | None:
    """The agency's rule pack; None for an agency without one (captures are still kept)."""
    if agency_id is None:
        return None
    try:
        return await pack_for(agency_id)
    except CaseTrailError:
        return None


def _same_capture(entry: Entry, case_id: str, kind: str, sha256: str) -> bool:
    return entry.case_id == case_id and entry.kind == kind and sha256 in entry.body["blobs"]


async def finalise_media(
    ledger: Ledger,
    blobs: BlobStore,
    uploads: UploadStore,
    *,
    case_id: str,
    actor: str | None,
    request: MediaIn,
    now: datetime | None = None,
) -> Entry:
    """Append the media entry for a finished upload; a resend returns the same entry.

    The case's agency decides the rule pack (tolerances, time zone, upload deadline) and the
    device registry that knows the capture's device.
    """
    kind = f"media.{media_kind(request.kind)}"
    check_claimed(request.claimed)
    existing = await entry_by_client_id(request.client_id)
    if existing is not None:
        if _same_capture(existing, case_id, kind, request.sha256):
            return existing
        raise Conflict("client_id already used for a different entry", code="client_id_reused")
    upload = await uploads.find_complete(actor, case_id, request.client_id, request.sha256)
    if f"media.{upload.kind}" != kind:
        raise UnsupportedMedia(f"the upload was a {upload.kind}, not {kind}", code="kind_mismatch")
    if normalize_mime(request.media_type) != upload.facts.get("media_type"):
        raise UnsupportedMedia(
            f"declared {request.media_type}, the bytes are {upload.facts.get('media_type')}",
            code="type_mismatch",
        )
    now = now or datetime.now(UTC)
    unknown = set(request.payload) - set(CLIENT_FIELDS)
    if unknown:
        raise Invalid(f"unknown payload fields: {sorted(unknown)}", code="bad_payload")
    payload: dict[str, Any] = {k: v for k, v in request.payload.items() if v is not None}
    payload.update(
        sha256=upload.sha256,
        media_type=upload.facts["media_type"],
        size=upload.length,
    )
    if upload.filename:
        payload["filename"] = upload.filename
    for key in ("image", "exif", "media", "c2pa"):
        if key in upload.facts:
            payload[key] = upload.facts[key]
    step_started = await _step_started_at(ledger, case_id, payload)
    agency_id = await agency_of_timeline(case_id)
    pack = await agency_pack(agency_id)
    limits = tolerances(pack)
    claims = device_claims(
        request.claimed, request.device, await device_info(agency_id, request.device)
    )
    if upload.kind == "photo":
        findings = await photo_findings(
            blobs, uploads, upload, claims, step_started, now, limits, agency_zone(pack)
        )
    elif upload.kind in ("audio", "video"):
        findings = recording_findings(upload.facts.get("media") or {}, claims, limits)
    else:
        findings = []
    if "c2pa" in upload.facts:
        credentials = Credentials.from_json(upload.facts["c2pa"])
        findings += credential_findings(credentials, claims, limits)
    payload["findings"] = [f.to_json() for f in findings]
    captured, _ = capture_moment(request.claimed, payload["findings"])
    if upload.kind in AV_KINDS and captured is not None and pack is not None:
        back = payload.get("remote_area_return_at")
        payload["upload"] = upload_deadline(
            pack.deadlines,
            captured,
            now,
            iso_time(back, "remote_area_return_at") if back else None,
            payload.get("remote_area_reason"),
        ).to_json()
    draft = Draft(
        case_id=case_id,
        kind=kind,
        client_id=request.client_id,
        payload=payload,
        actor=actor,
        device=request.device,
        claimed=request.claimed,
        blobs=(upload.sha256,),
    )
    try:
        entry = await ledger.append(draft)
    except Conflict:
        # Two finalises of one capture raced; the first one's entry is the answer.
        existing = await entry_by_client_id(request.client_id)
        if existing is not None and _same_capture(existing, case_id, kind, request.sha256):
            return existing
        raise
    return entry  # the evidence projection has recorded it before the ledger answered


# Recorder and CCTV files reach a case by these entries rather than by media.*; their blobs are read


async def _step_started_at(
    ledger: Ledger, case_id: str, payload: dict[str, Any]
) -> datetime | None:
    if payload.get("step_started_at"):
        return iso_time(payload["step_started_at"], "step_started_at")
    if payload.get("for_entry"):
        entry = await ledger.get(payload["for_entry"])
        if entry.case_id != case_id:
            raise Invalid("for_entry is not on this case's timeline", code="bad_for_entry")
        return entry_time(entry)
    return None
