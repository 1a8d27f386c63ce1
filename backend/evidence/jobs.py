"""Evidence's periodic work: clearing away, hourly, the upload folders nobody will send to again."""

from __future__ import annotations

from typing import Any

from backend.evidence.uploads import Upload
from backend.jobs import Job
from backend.ledger.reads import by_client_id as entry_by_client_id

SWEEP_INTERVAL_S = 3600


async def finalised(upload: Upload) -> bool:
    """Whether the upload's bytes are on a timeline: its capture's entry names its blob."""
    entry = await entry_by_client_id(upload.client_id)
    return entry is not None and upload.sha256 in entry.body["blobs"]


def jobs(runtime: Any) -> list[Job]:
    uploads = runtime.uploads

    async def sweep() -> None:
        await uploads.sweep(finalised)

    return [Job("evidence_upload_sweep", SWEEP_INTERVAL_S, sweep)]
