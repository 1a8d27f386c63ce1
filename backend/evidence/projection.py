"""Evidence projections: which case holds each media blob, and the device registry."""

from __future__ import annotations

from backend.evidence.devices import apply_device_entry
from backend.evidence.tables import EvidenceDevice, EvidenceMedia
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.projections import catch_up, follow, rebuild

# Recorder and CCTV files reach a case by these entries rather than by media.*; their blobs are read
# (played, downloaded, spot-checked) through the same access rule.
RECORDING_KINDS = frozenset({"recording.imported", "recording.linked"})


def holds_media(entry: Entry) -> bool:
    return entry.kind.startswith("media.") or entry.kind in RECORDING_KINDS


async def record_media(entry: Entry) -> None:
    """Project one media or recorder-file entry into evidence_media (idempotent)."""
    if not holds_media(entry) or not entry.body["blobs"]:
        return
    # One statement: a replayed entry, or one another worker projected first, changes nothing.
    await EvidenceMedia.raw(
        "INSERT INTO evidence_media (entry_hash, sha256, case_id, kind, media_type, received_at) "
        "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (entry_hash) DO NOTHING",
        entry.hash,
        entry.body["blobs"][0],
        entry.case_id,
        entry.kind,
        entry.payload.get("media_type", ""),
        entry.received_at,
    )


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
