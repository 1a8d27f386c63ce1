"""The custody entries of recorder files on the ledger: imports on `agency:<id>`, links on cases."""

from __future__ import annotations

from typing import Any

from backend.ledger.entry import Entry
from backend.ledger.tables import LedgerEntry

IMPORTED = "recording.imported"
DUPLICATE = "recording.duplicate"
LINKED = "recording.linked"


def agency_timeline(agency_id: str) -> str:
    return f"agency:{agency_id}"


async def entries_where(where: str, *args: Any) -> list[Entry]:
    rows = await LedgerEntry.raw(
        f"SELECT log_index, hash, client_id, body FROM ledger_entry WHERE {where} "
        "ORDER BY log_index",
        *args,
    )
    return [Entry.from_row(r) for r in rows]


async def imports_of(agency_id: str, sha256: str | None = None) -> list[Entry]:
    """Custody entries of an agency's recordings (of one file when sha256 is given)."""
    if sha256 is None:
        return await entries_where(
            "case_id = {} AND kind = {}", agency_timeline(agency_id), IMPORTED
        )
    # The hex digest cannot contain LIKE wildcards; the payload check below is the real test.
    found = await entries_where(
        "case_id = {} AND kind = {} AND body LIKE {}",
        agency_timeline(agency_id),
        IMPORTED,
        f"%{sha256}%",
    )
    return [e for e in found if e.payload.get("sha256") == sha256]


async def links_of(agency_id: str, sha256: str | None = None) -> list[Entry]:
    """`recording.linked` entries on the agency's cases (of one file when sha256 is given)."""
    needle = f'%"agency_id":"{agency_id}"%'
    found = await entries_where("kind = {} AND body LIKE {}", LINKED, needle)
    return [
        e
        for e in found
        if e.payload.get("agency_id") == agency_id
        and (sha256 is None or e.payload.get("sha256") == sha256)
    ]
