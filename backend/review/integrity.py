"""The integrity badge of one case: its chain, the last entry's inclusion proof, the checkpoint's signature."""

from __future__ import annotations

from typing import Any

from backend.errors import NotFound
from backend.ledger.checkpoint import CheckpointError, verify_note
from backend.ledger.ledger import Ledger
from backend.ledger.merkle import verify_inclusion
from backend.ledger.verify import Report, check_entries


async def case_integrity(ledger: Ledger, case_id: str) -> dict[str, Any]:
    """Recompute what a supervisor's badge shows; every check is done here, none is taken on trust."""
    rows = await ledger.stored_rows(case_id)
    if not rows:
        raise NotFound("no such case", code="case_not_found")
    report = Report()
    check_entries(rows, report)
    last = rows[-1]
    proof = await ledger.inclusion(last["hash"])
    signature_ok, inclusion_ok, tree_size = True, False, proof["tree_size"]
    try:
        checkpoint = verify_note(proof["checkpoint"], ledger.signer.vkey)
    except CheckpointError:
        signature_ok = False
    else:
        inclusion_ok = verify_inclusion(
            bytes.fromhex(last["hash"]),
            last["log_index"],
            checkpoint.size,
            [bytes.fromhex(p) for p in proof["proof"]],
            checkpoint.root,
        )
    chain_ok = report.ok
    return {
        "case_id": case_id,
        "ok": chain_ok and inclusion_ok and signature_ok,
        "chain_ok": chain_ok,
        "inclusion_ok": inclusion_ok,
        "checkpoint_signature_ok": signature_ok,
        "entries": len(rows),
        "last_entry": last["hash"],
        "last_seq": last["seq"],
        "tree_size": tree_size,
        "checkpoint": proof["checkpoint"],
        "problems": [str(p) for p in report.problems][:50],
        # What weakens protection beyond this case, for the supervisor to hear about in words.
        "timestamp_outage": bool(await ledger.timestamp_outage()),
        "witness_refusals": len(await ledger.witness_outages()),
    }
