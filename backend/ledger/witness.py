"""CaseTrail as a witness for other logs (C2SP tlog-witness `add-checkpoint`).

A higher-level bureau runs CaseTrail with `CASETRAIL_WITNESS_FOR` listing the verifier keys of
the agencies' logs it witnesses. Each agency sends every new checkpoint with a consistency proof
from the size the witness last cosigned; the witness cosigns only a checkpoint signed by the
log's known key that extends, unchanged, what it cosigned before. A history rewritten and
re-signed with the agency's own key is therefore refused, and the earlier cosignature convicts it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.database import shared_lock
from backend.ledger.checkpoint import CheckpointError, parse_vkey, verify_note
from backend.ledger.cosignature import Cosigner
from backend.ledger.merkle import verify_consistency
from backend.ledger.tables import WitnessedCheckpoint

SIZE_TYPE = "text/x.tlog.size"
_MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class WitnessAnswer:
    """The protocol's answer: its status and body are fixed by the specification."""

    status: int
    body: str
    media_type: str = "text/plain"


def _refuse(status: int, why: str) -> WitnessAnswer:
    return WitnessAnswer(status, why + "\n")


def _parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    text = body.decode("utf-8")
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ValueError("no empty line before the checkpoint")
    lines = head.split("\n")
    old = lines[0]
    if not old.startswith("old ") or not (old[4:] == "0" or old[4:5] in "123456789"):
        raise ValueError("the first line must be `old <size>`")
    proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    if len(proof) > _MAX_PROOF_LINES:
        raise ValueError("too many consistency proof lines")
    return int(old[4:]), proof, note


class Witness:
    """Checks and cosigns checkpoints of the logs it is configured to witness."""

    def __init__(self, cosigner: Cosigner, log_vkeys: list[str]) -> None:
        self.cosigner = cosigner
        self.logs = {parse_vkey(vkey)[0]: vkey for vkey in log_vkeys}

    async def latest(self, origin: str) -> tuple[int, bytes | None]:
        rows = await WitnessedCheckpoint.raw(
            "SELECT tree_size, root FROM witnessed_checkpoint WHERE origin = {} "
            "ORDER BY tree_size DESC LIMIT 1",
            origin,
        )
        return (rows[0]["tree_size"], bytes.fromhex(rows[0]["root"])) if rows else (0, None)

    async def add_checkpoint(self, body: bytes) -> WitnessAnswer:
        try:
            old, proof, note = _parse_request(body)
        except (UnicodeDecodeError, ValueError, binascii.Error) as bad:
            return _refuse(400, f"malformed request: {bad}")
        origin = note.split("\n", 1)[0]
        vkey = self.logs.get(origin)
        if vkey is None:
            return _refuse(404, f"this witness does not witness {origin!r}")
        try:
            checkpoint = verify_note(note, vkey)
        except CheckpointError as bad:
            return _refuse(403, f"checkpoint not signed by the known key: {bad}")
        if old > checkpoint.size:
            return _refuse(400, "old size is larger than the checkpoint")
        # Checking the old size and recording the new one must be one step (the spec's race),
        # across every worker and server of this witness, or two could cosign a fork of one size.
        async with shared_lock(WitnessedCheckpoint._meta.db, f"witness:{origin}"):
            size, root = await self.latest(origin)
            if old != size:
                return WitnessAnswer(409, f"{size}\n", SIZE_TYPE)
            if root is not None and old == checkpoint.size and root != checkpoint.root:
                return _refuse(409, "same size, different root: the log forked")
            if old and not verify_consistency(old, checkpoint.size, root, checkpoint.root, proof):
                return _refuse(422, "the checkpoint does not extend the one cosigned before")
            if old == 0 and proof:
                return _refuse(422, "a proof from size 0 must be empty")
            now = datetime.now(UTC)
            if checkpoint.size > size or root is None:
                await WitnessedCheckpoint.insert(
                    WitnessedCheckpoint(
                        origin=origin,
                        tree_size=checkpoint.size,
                        root=checkpoint.root.hex(),
                        note=note,
                        cosigned_at=now,
                    )
                )
        text = note[: note.rfind("\n\n") + 1]
        return WitnessAnswer(200, self.cosigner.cosign(text, int(now.timestamp())))
