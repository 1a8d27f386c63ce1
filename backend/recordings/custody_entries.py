"""The custody entries of recorder files on the ledger: imports on `agency:<id>`, links on cases."""

from __future__ import annotations

from backend.ledger import reads
from backend.ledger.entry import Entry
from backend.ledger.timelines import agency_timeline

IMPORTED = "recording.imported"
DUPLICATE = "recording.duplicate"
LINKED = "recording.linked"


async def imports_of(agency_id: str, sha256: str | None = None) -> list[Entry]:
    """Custody entries of an agency's recordings (of one file when sha256 is given)."""
    if sha256 is None:
        return await reads.of_kinds([agency_timeline(agency_id)], [IMPORTED])
    found = await reads.naming(sha256, kinds=[IMPORTED], case_ids=[agency_timeline(agency_id)])
    return [e for e in found if e.payload.get("sha256") == sha256]


async def links_of(agency_id: str, sha256: str | None = None) -> list[Entry]:
    """`recording.linked` entries on the agency's cases (of one file when sha256 is given)."""
    found = await (
        reads.of_kinds_anywhere([LINKED])
        if sha256 is None
        else reads.naming(sha256, kinds=[LINKED])
    )
    return [
        e
        for e in found
        if e.payload.get("agency_id") == agency_id
        and (sha256 is None or e.payload.get("sha256") == sha256)
    ]
