"""Linking an imported recording to a case step: stored once, referenced per case.

The `recording.linked` entry on the case timeline is what moves the file from the patrol retention
class to the case's evidence retention.
"""

from __future__ import annotations

from backend.cases.lifecycle import pack_for
from backend.errors import Conflict, Invalid, NotFound
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger
from backend.recordings.custody import check_sha256
from backend.recordings.custody_entries import LINKED, imports_of, links_of
from backend.recordings.retention import retention


async def link_recording(
    ledger: Ledger,
    *,
    agency_id: str,
    actor: str,
    sha256: str,
    case_id: str,
    client_id: str,
    step: str | None = None,
    for_entry: str | None = None,
    proposed: bool = True,
) -> Entry:
    """Reference an imported recording from a case; the recording then follows the case's retention."""
    check_sha256(sha256)
    earlier = await imports_of(agency_id, sha256)
    if not earlier:
        raise NotFound("no imported recording with this hash", code="recording_not_found")
    original = earlier[0]
    head = await ledger.timeline(case_id, -1, 1)
    if not head or head[0].kind != "case.opened" or head[0].payload.get("agency_id") != agency_id:
        raise NotFound("no such case", code="case_not_found")
    if for_entry is not None:
        try:
            target = await ledger.get(for_entry)
        except NotFound:
            target = None
        if target is None or target.case_id != case_id:
            raise Invalid("for_entry is not an entry of this case", code="bad_for_entry")
        # Like media.* entries, `step` names the record kind the recording belongs to.
        step = target.kind
    pack = await pack_for(agency_id)
    pack_step = next((k for k, v in pack.steps.items() if step in v["any_of"]), None)
    for link in await links_of(agency_id, sha256):
        if link.case_id == case_id and link.payload.get("for_entry") == for_entry:
            if link.body["client_id"] == client_id:
                return link
            raise Conflict(
                "this recording is already linked to this case step",
                code="already_linked",
                detail={"entry_hash": link.hash},
            )
    rec = original.payload
    return await ledger.append(
        Draft(
            case_id=case_id,
            kind=LINKED,
            client_id=client_id,
            payload={
                "agency_id": agency_id,
                "sha256": sha256,
                "imported_entry": original.hash,
                "imported_at": utc_iso(original.received_at),
                "filename": rec["filename"],
                "media_type": rec["media_type"],
                "device": rec["device"]["number"],
                "officer": rec["officer"],
                "started_at": rec["started_at"],
                "ended_at": rec["ended_at"],
                "deadline": rec["deadline"],
                "step": step,
                "pack_step": pack_step,
                "for_entry": for_entry,
                "proposed": proposed,
                "retention": {
                    **retention(pack, "evidence_av", None),
                    "replaces": rec["retention"]["class"],
                },
            },
            actor=actor,
            device=rec["device"]["number"],
            claimed={"time": rec["ended_at"], "clock_offset_ms": None, "geo": None},
            blobs=(sha256,),
        )
    )
