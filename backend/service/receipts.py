"""Receipts a party keeps: entries, their inclusion proofs, the signed checkpoint and its verifier key.

A receipt verifies offline (`casetrail verify --receipt FILE`): each entry's bytes hash to its
name, and each is included in the log under a checkpoint signed by the agency's key.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from backend.ledger.checkpoint import CheckpointError, verify_note
from backend.ledger.entry import canonical
from backend.ledger.ledger import Ledger
from backend.ledger.statements import sign_promise
from backend.ledger.verify import Problem, Report, check_inclusion

FORMAT = "casetrail-receipt/1"


async def make_receipt(ledger: Ledger, entry_hashes: list[str], **facts: Any) -> dict[str, Any]:
    """A receipt for `entry_hashes` (all on one signed checkpoint) plus a few plain facts."""
    entries, proofs, promises = [], [], []
    for entry_hash in entry_hashes:
        entry = await ledger.get(entry_hash)
        if ledger.signer is not None:  # what `casetrail verify --promises receipt.json` reads
            promises.append(sign_promise(ledger.signer, entry))
        entries.append(
            {
                "log_index": entry.log_index,
                "hash": entry.hash,
                "body": canonical(entry.body).decode(),
            }
        )
    # One checkpoint for all of them: the newest entry's proof makes one if needed.
    newest = max(entries, key=lambda e: e["log_index"])["hash"]
    last = await ledger.inclusion(newest)
    for item in entries:
        proof = last if item["hash"] == newest else await ledger.inclusion(item["hash"])
        proofs.append(proof)
    return {
        "format": FORMAT,
        **facts,
        "entries": entries,
        "proofs": proofs,
        "checkpoint": last["checkpoint"],
        "promises": promises,
        "vkey": ledger.signer.vkey if ledger.signer else "",
    }


def verify_receipt(
    receipt: dict[str, Any], trusted_vkey: str | None = None, document: Path | None = None
) -> Report:
    """Check a receipt offline against the agency's published key (and, if given, the PDF).

    Without a trusted key the receipt is checked against the key it carries, which only shows it
    is self-consistent (anyone can make a key): the report is then not ok, naming that key.
    """
    report = Report()
    if receipt.get("format") != FORMAT:
        report.problems.append(Problem("receipt", f"not a {FORMAT} file"))
        return report
    vkey = trusted_vkey or receipt.get("vkey", "")
    if not trusted_vkey:
        report.untrusted_key = vkey or "(none)"
    rows = []
    for item in receipt.get("entries", []):
        report.entries += 1
        where = f"entry {item.get('hash')}"
        text = str(item.get("body", "")).encode()
        if hashlib.sha256(text).hexdigest() != item.get("hash"):
            report.problems.append(Problem(where, "hash does not match the entry body"))
            continue
        body = json.loads(text)
        rows.append({**body, "hash": item["hash"], "log_index": item["log_index"]})
    report.cases = len({r["case_id"] for r in rows})
    proofs = {p["entry_hash"]: p for p in receipt.get("proofs", [])}
    check_inclusion(rows, proofs, vkey, report)
    try:
        verify_note(receipt.get("checkpoint", ""), vkey)
        report.checkpoints = 1
    except CheckpointError as exc:
        report.problems.append(Problem("checkpoint", f"signature does not verify: {exc}"))
    if document is not None:
        digest = hashlib.sha256(document.read_bytes()).hexdigest()
        named = {r["payload"].get("document_sha256") for r in rows} - {None}
        report.blobs = 1
        if digest not in named:
            report.problems.append(
                Problem(f"document {document}", "its SHA-256 is not the served document's")
            )
    return report
