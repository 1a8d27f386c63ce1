"""Facts the public verification page shows about a paper, found by the SHA-256 of its bytes.

The browser hashes the file itself; only the 64-hex digest is asked about, and only the facts
printed on the paper anyway come back (title, number, agency, date, the record it renders).
"""

from __future__ import annotations

import msgspec

from backend.cases.lifecycle import pack_for
from backend.cases.stages import case_facts
from backend.errors import NotFound
from backend.ledger.ledger import Ledger
from backend.service.tables import ServiceLink

HEX = frozenset("0123456789abcdef")


class PaperFacts(msgspec.Struct):
    sha256: str
    title: str
    agency: str
    number: str | None = None
    dated: str | None = None
    renders: str | None = None
    served: bool = False


def _unknown() -> NotFound:
    return NotFound(
        "本系统没有生成或送达过这份文件 / this file is not a paper made or served here",
        code="paper_not_found",
    )


async def paper_facts(ledger: Ledger, sha256: str) -> PaperFacts:
    sha256 = sha256.lower()
    if len(sha256) != 64 or not set(sha256) <= HEX:
        raise _unknown()
    served = await ServiceLink.exists().where(ServiceLink.document_sha256 == sha256)
    for entry in await ledger.of_kind("document.generated"):
        if sha256 in entry.body["blobs"]:
            facts = case_facts([e.body for e in await ledger.whole_timeline(entry.case_id)])
            pack = await pack_for(facts["agency_id"])
            return PaperFacts(
                sha256=sha256,
                title=entry.payload["title"],
                agency=pack.agency_name,
                number=entry.payload.get("number"),
                dated=entry.payload.get("dated"),
                renders=entry.payload["renders"],
                served=served,
            )
    row = await ServiceLink.select().where(ServiceLink.document_sha256 == sha256).first()
    if row is None:
        raise _unknown()
    pack = await pack_for(row["agency_id"])
    return PaperFacts(
        sha256=sha256, title=row["document_name"], agency=pack.agency_name, served=True
    )
