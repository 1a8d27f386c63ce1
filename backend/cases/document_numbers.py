"""文号: each agency numbers its documents of one type per year, 1, 2, 3 ..., never twice.

The number is printed in the PDF, and the PDF's hash is in the `document.generated` entry, so the
number must exist before the entry does. `allocate` takes the next serial in one statement
(`INSERT … SELECT MAX(serial) + 1`) against a unique index on (agency, type, year, serial): two
writers that compute the same serial collide on the index and the loser takes the next one. A
serial is held by the request's `client_id`, so a resend prints the same number. The table is
derived: every entry carries its `year` and `serial`, and `rebuild_numbers` restores the table
from the ledger.
"""

from __future__ import annotations

from typing import Any

from piccolo.engine.base import Engine

from backend.cases.tables import DocumentNumber
from backend.errors import Conflict
from backend.ledger.entry import Entry

ATTEMPTS = 20


async def create_document_numbers(engine: Engine) -> None:
    await DocumentNumber.create_table(if_not_exists=True)
    await DocumentNumber.raw(
        "CREATE UNIQUE INDEX IF NOT EXISTS document_number_serial "
        "ON document_number (agency_id, document_kind, year, serial)"
    )


def format_number(prefix: str, year: int, serial: int) -> str:
    """冀人社罚决字〔2026〕第12号."""
    return f"{prefix}〔{year}〕第{serial}号"


async def _held(client_id: str) -> int | None:
    row = (
        await DocumentNumber.select(DocumentNumber.serial)
        .where(DocumentNumber.client_id == client_id)
        .first()
    )
    return None if row is None else int(row["serial"])


async def allocate(
    agency_id: str, document_kind: str, year: int, *, client_id: str, case_id: str
) -> int:
    """The serial held by `client_id`, or the next free one of that agency, type and year."""
    for _ in range(ATTEMPTS):
        held = await _held(client_id)
        if held is not None:
            return held
        try:
            await DocumentNumber.raw(
                "INSERT INTO document_number "
                "(agency_id, document_kind, year, serial, client_id, case_id) "
                "SELECT {}, {}, {}, COALESCE(MAX(serial), 0) + 1, {}, {} FROM document_number "
                "WHERE agency_id = {} AND document_kind = {} AND year = {}",
                agency_id, document_kind, year, client_id, case_id,
                agency_id, document_kind, year,
            )  # fmt: skip
        except Exception as exc:  # a racing writer took this serial (or this client_id): again
            if "unique" not in str(exc).lower() and "duplicate" not in str(exc).lower():
                raise
    raise Conflict(
        "文号分配繁忙，请重试 / numbering is busy, try again", code="document_number_busy"
    )


async def restore_number(entry: Entry, agency_id: str) -> None:
    """Put a generated document's serial back in the table (rebuilds; resends are no-ops)."""
    payload: dict[str, Any] = entry.payload
    if "serial" not in payload or await _held(entry.body["client_id"]) is not None:
        return
    await DocumentNumber.insert(
        DocumentNumber(
            agency_id=agency_id,
            document_kind=payload["document_kind"],
            year=int(payload["year"]),
            serial=int(payload["serial"]),
            client_id=entry.body["client_id"],
            case_id=entry.case_id,
        )
    )
