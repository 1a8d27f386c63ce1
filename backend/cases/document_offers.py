"""Which documents a case can have now: the pack's list for its kind, each with the record it would
render, the documents already made, and the approver's decision on each (for the officer's screens)."""

from __future__ import annotations

from typing import Any

from backend.cases.documents import KIND, TEMPLATES, build_document, chinese_date, pack_document
from backend.cases.lifecycle import pack_for
from backend.cases.stages import case_facts
from backend.errors import NotFound
from backend.ledger.ledger import Ledger

DECISIONS = {"approve": "approved", "refuse": "refused", "return": "returned"}


async def document_offers(ledger: Ledger, case_id: str) -> list[dict[str, Any]]:
    """One row per document the case's pack offers for its kind, in the pack's order."""
    timeline = await ledger.whole_timeline(case_id)
    if not timeline:
        raise NotFound("no such case", code="case_not_found")
    facts = case_facts([e.body for e in timeline])
    pack = await pack_for(facts["agency_id"])
    corrected = {(e.body.get("corrects") or {}).get("hash") for e in timeline}
    decisions: dict[str, dict[str, Any]] = {}
    for e in timeline:
        decision = (
            DECISIONS.get(e.payload.get("meaning", "")) if e.kind == "signature.passkey" else None
        )
        if decision:
            # The latest decision on a document stands (a returned letter made again is a new entry).
            decisions[e.payload["signs"]] = {
                "decision": decision,
                "by": e.body.get("actor"),
                "at": e.body["received_at"],
                "reason": e.payload.get("comment"),
            }
    by_hash = {e.hash: e for e in timeline}
    parties = [p.get("name", "") for p in facts.get("parties", []) if p.get("name")]

    def preview(made: Any) -> dict[str, Any] | None:
        """What the PDF says, for a phone screen (the PDF itself is one tap away)."""
        source = by_hash.get(made.payload["renders"])
        kind = made.payload["document_kind"]
        if source is None or kind not in TEMPLATES:
            return None
        doc = build_document(
            kind, source, agency_name=pack.agency_name, number=made.payload["number"],
            parties=parties,
        )  # fmt: skip
        titled = pack_document(pack.data, kind)
        return {
            "title": titled["title_zh"] if titled else doc.title,
            "agency_name": doc.agency_name,
            "number": doc.number,
            "parties": list(doc.parties),
            "lines": [list(line) for line in doc.lines],
            "closing": doc.closing,
            "dated": chinese_date(doc.dated),
        }

    out = []
    for offer in pack.data.get("documents", []):
        kinds = offer.get("enforcement_kinds")
        if kinds and facts.get("enforcement_kind") not in kinds:
            continue
        sources = TEMPLATES[offer["document_kind"]].sources
        # The latest version of each record it can render (a corrected record is replaced).
        records = [
            {"hash": e.hash, "kind": e.kind, "received_at": e.body["received_at"]}
            for e in timeline
            if e.kind in sources and e.hash not in corrected
        ]
        made = [
            {
                "hash": e.hash,
                "blob": e.body["blobs"][0],
                "number": e.payload["number"],
                "renders": e.payload["renders"],
                "dated": e.payload.get("dated"),
                "received_at": e.body["received_at"],
                "approval": decisions.get(e.hash),
                "preview": preview(e),
            }
            for e in timeline
            if e.kind == KIND and e.payload.get("document_kind") == offer["document_kind"]
        ]
        out.append(
            {
                "document_kind": offer["document_kind"],
                "title_zh": offer["title_zh"],
                "title_en": offer["title_en"],
                "stage": offer["stage"],
                "approval_required": offer["approval"],
                "record_kinds": list(sources),
                "records": records,
                "documents": made,
            }
        )
    return out
