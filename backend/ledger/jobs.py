"""The ledger's periodic job: SM3 digests of uploaded blobs, computed after the upload path."""

from __future__ import annotations

from typing import Any

from backend.jobs import Job
from backend.ledger.digests import fill_blob_sm3


def jobs(runtime: Any) -> list[Job]:
    return [Job("blob_sm3", 60, lambda: fill_blob_sm3(runtime.blobs), first_after_s=30)]
