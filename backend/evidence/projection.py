"""Evidence projections: which case holds each media blob, and the device registry."""

from __future__ import annotations

from backend.evidence.devices import apply_device_entry
from backend.evidence.ingest import holds_media, record_media
from backend.evidence.tables import EvidenceDevice, EvidenceMedia
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.projections import catch_up, follow, rebuild


def concerns_evidence(entry: Entry) -> bool:
    return holds_media(entry) or entry.kind.startswith("device.")


async def apply_evidence_entry(entry: Entry) -> None:
    if holds_media(entry):
        await record_media(entry)
    elif entry.kind.startswith("device."):
        await apply_device_entry(entry)


async def register(ledger: Ledger) -> None:
    await catch_up(ledger, "evidence", apply_evidence_entry)
    follow(ledger, "evidence", apply_evidence_entry, concerns_evidence)


async def rebuild_all(ledger: Ledger) -> int:
    return await rebuild(ledger, "evidence", apply_evidence_entry, EvidenceMedia, EvidenceDevice)
