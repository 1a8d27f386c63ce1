"""SM3 (GB/T 32905) digests beside SHA-256, as Chinese archive rules ask, for entries and blobs.

An entry's SM3 is cheap and computed when asked. A blob's is not: SM3 runs about eight times
slower than SHA-256 here, so it is never computed on the upload path. A background job fills
`blob_sm3` after uploads, and an export computes (and keeps) only what the job has not reached.
SHA-256 stays the name of everything; SM3 is a second, independent digest checked by `verify`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes

from backend.ledger.tables import BlobSm3, LedgerEntry

JOB_BATCH = 20  # blobs per run: a run never holds the job lock for long


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


class Sm3Stream:
    """SM3 over chunks as they are read."""

    def __init__(self) -> None:
        self._digest = hashes.Hash(hashes.SM3())

    def update(self, chunk: bytes) -> None:
        self._digest.update(chunk)

    def hexdigest(self) -> str:
        return self._digest.finalize().hex()


async def _compute(blobs: Any, sha: str) -> str:
    digest = Sm3Stream()
    async for chunk in blobs.open(sha):
        await asyncio.to_thread(digest.update, chunk)  # megabytes at a time: off the event loop
    return digest.hexdigest()


async def blob_sm3(blobs: Any, sha: str) -> str | None:
    """The blob's SM3, kept once computed; None if the blob is not (or no longer) stored."""
    rows = await BlobSm3.raw("SELECT sm3 FROM blob_sm3 WHERE sha256 = {}", sha)
    if rows:
        return rows[0]["sm3"]
    if not await blobs.exists(sha):
        return None
    value = await _compute(blobs, sha)
    await _keep(sha, value)
    return value


async def _keep(sha: str, value: str) -> None:
    try:
        await BlobSm3.insert(BlobSm3(sha256=sha, sm3=value, computed_at=datetime.now(UTC)))
    except Exception as exc:  # another worker kept it first: the value is the same
        if "unique" not in str(exc).lower():
            raise


async def fill_blob_sm3(blobs: Any, limit: int = JOB_BATCH) -> int:
    """The job: SM3 of up to `limit` blobs that entries name and that have none yet."""
    rows = await LedgerEntry.raw(
        "SELECT body FROM ledger_entry WHERE body NOT LIKE {}", '%"blobs":[]%'
    )
    named = {sha for r in rows for sha in json.loads(r["body"]).get("blobs", [])}
    done = {r["sha256"] for r in await BlobSm3.raw("SELECT sha256 FROM blob_sm3")}
    filled = 0
    for sha in sorted(named - done)[:limit]:
        if await blobs.exists(sha):
            await _keep(sha, await _compute(blobs, sha))
            filled += 1
    return filled
