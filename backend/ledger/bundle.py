"""Verifiable export bundles: one case's entries, blobs, checkpoint and proofs in a zip.

Everything `casetrail verify` needs is inside; no server and no database are required.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import Any

from backend.errors import NotFound
from backend.ledger.ledger import Ledger
from backend.ledger.tables import LedgerEntry
from backend.ledger.verify import (
    ROW_COLUMNS,
    Report,
    check_blobs,
    check_draws,
    check_entries,
    check_inclusion,
)

FORMAT = "casetrail-bundle/1"


async def export_case(
    ledger: Ledger, blobs: Any, case_id: str, out: Path, held: Collection[str]
) -> dict[str, Any]:
    """Write `out` (zip) for `case_id` with the blobs in `held`; returns the manifest.

    `held` is what the case holds (`evidence.holdings.blobs_held`): a hash an entry names without
    the case holding it is listed under `withheld`, and its bytes stay out of the bundle.
    """
    rows = await LedgerEntry.raw(
        f"SELECT {ROW_COLUMNS} FROM ledger_entry WHERE case_id = {{}} ORDER BY seq", case_id
    )
    if not rows:
        raise NotFound("no such case", code="case_not_found")
    checkpoint = await ledger.latest_checkpoint()
    if checkpoint is None or checkpoint.size <= max(r["log_index"] for r in rows):
        checkpoint = await ledger.checkpoint()
    tree = await ledger.sync_tree()
    proofs = [
        {
            "entry_hash": r["hash"],
            "log_index": r["log_index"],
            "tree_size": checkpoint.size,
            "proof": [p.hex() for p in tree.inclusion_proof(r["log_index"], checkpoint.size)],
            "checkpoint": checkpoint.note,
        }
        for r in rows
    ]
    named = {sha for r in rows for sha in json.loads(r["body"]).get("blobs", [])}
    shas = sorted(named & set(held))
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "case_id": case_id,
        "entries": len(rows),
        "blobs": shas,
        "withheld": sorted(named - set(held)),
        "checkpoint_size": checkpoint.size,
        "vkey": ledger.signer.vkey,
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        zf.writestr(
            "entries.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        )
        zf.writestr("proofs.jsonl", "".join(json.dumps(p) + "\n" for p in proofs))
        zf.writestr("checkpoint.txt", checkpoint.note)
        zf.writestr("vkey.txt", ledger.signer.vkey + "\n")
        for sha in shas:
            if not await blobs.exists(sha):
                continue  # disposed after retention; the tombstone entry says so
            with zf.open(f"blobs/{sha}", "w", force_zip64=True) as target:
                async for chunk in blobs.open(sha):
                    target.write(chunk)
    return manifest


class _ZipBlobs:
    """Reads blobs back out of a bundle for `check_blobs`."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = set(zf.namelist())

    async def exists(self, sha: str) -> bool:
        return f"blobs/{sha}" in self.names

    async def open(self, sha: str) -> AsyncIterator[bytes]:
        with self.zf.open(f"blobs/{sha}") as source:
            while chunk := source.read(1 << 20):
                yield chunk


async def verify_bundle(path: Path, trusted_vkey: str | None = None) -> Report:
    """Check a bundle offline. With `trusted_vkey`, the bundle's own key is not taken on trust."""
    report = Report()
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        vkey = trusted_vkey or manifest["vkey"]
        rows = [json.loads(line) for line in zf.read("entries.jsonl").decode().splitlines() if line]
        proofs = {
            p["entry_hash"]: p
            for p in (json.loads(x) for x in zf.read("proofs.jsonl").decode().splitlines() if x)
        }
        parsed = check_entries(rows, report)
        check_draws(parsed, report)
        check_inclusion(rows, proofs, vkey, report)
        # Named but not held by the case: never exported, so not missing (the entries still verify).
        withheld = set(manifest.get("withheld") or [])
        await check_blobs(parsed, _ZipBlobs(zf).open, _ZipBlobs(zf).exists, report, skip=withheld)
    return report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
