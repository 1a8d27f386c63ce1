"""Asking witnesses to cosign our checkpoints (the client side of C2SP tlog-witness).

`CASETRAIL_WITNESSES` lists each witness as `<submission URL prefix> <witness verifier key>`,
separated by commas. Every new checkpoint goes to each of them with a consistency proof from the
size that witness last cosigned; the cosignatures are kept in `ledger_cosignature`. A witness that
cannot be reached never stops the log: the problem is kept for the checkpoint API and `verify`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.ledger.checkpoint import ALG_COSIGNATURE_V1, Checkpoint, CheckpointError, parse_vkey
from backend.ledger.cosignature import cosigned_at
from backend.ledger.tables import LedgerCosignature
from backend.ledger.tiled_tree import TiledTree

log = logging.getLogger("casetrail.ledger")
_MAX_REPLY = 64 * 1024


@dataclass(frozen=True)
class WitnessConfig:
    url: str
    vkey: str

    @property
    def name(self) -> str:
        return parse_vkey(self.vkey, ALG_COSIGNATURE_V1)[0]


def parse_witnesses(text: str) -> tuple[WitnessConfig, ...]:
    """`URL VKEY, URL VKEY` -> witness configs; a malformed key is refused at start-up."""
    found = []
    for item in text.split(","):
        if not item.strip():
            continue
        url, _, vkey = item.strip().partition(" ")
        parse_vkey(vkey.strip(), ALG_COSIGNATURE_V1)
        found.append(WitnessConfig(url.rstrip("/"), vkey.strip()))
    return tuple(found)


def _post(url: str, body: str, timeout: float = 10.0) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "text/plain"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(_MAX_REPLY).decode("utf-8", "replace")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read(_MAX_REPLY).decode("utf-8", "replace")


async def last_cosigned_size(witness: str) -> int:
    rows = await LedgerCosignature.raw(
        "SELECT MAX(tree_size) AS size FROM ledger_cosignature WHERE witness = {}", witness
    )
    return (rows[0]["size"] if rows else None) or 0


async def ask_witness(witness: WitnessConfig, checkpoint: Checkpoint, tree: TiledTree) -> str:
    """Send `checkpoint` to one witness; return the cosigned note, or raise with why not."""
    old = await last_cosigned_size(witness.name)
    for _ in range(2):  # a 409 tells us the size the witness really holds: try once from there
        if old > checkpoint.size:
            raise CheckpointError(f"witness {witness.name} holds size {old}, larger than ours")
        proof = await tree.consistency_proof(old, checkpoint.size) if old else []
        body = (
            f"old {old}\n"
            + "".join(base64.b64encode(p).decode() + "\n" for p in proof)
            + "\n"
            + checkpoint.note
        )
        try:
            status, text = await asyncio.to_thread(_post, f"{witness.url}/add-checkpoint", body)
        except (urllib.error.URLError, OSError) as unreachable:
            raise CheckpointError(f"witness {witness.name} unreachable: {unreachable}") from None
        if status == 409 and text.strip().isdigit() and int(text) != old:
            old = int(text)
            continue
        break
    if status != 200:
        raise CheckpointError(f"witness {witness.name} refused ({status}): {text.strip()}")
    lines = [line for line in text.split("\n") if line]
    for line in lines:
        cosigned = checkpoint.note + line + "\n"
        try:
            cosigned_at(cosigned, witness.vkey)
        except CheckpointError:
            continue
        return cosigned
    raise CheckpointError(f"witness {witness.name} answered without a valid cosignature")


async def collect_cosignatures(
    witnesses: tuple[WitnessConfig, ...], checkpoint: Checkpoint, tree: TiledTree
) -> dict[str, str]:
    """Ask every witness; keep each cosignature; return witness name -> problem for the others."""
    problems: dict[str, str] = {}
    for witness in witnesses:
        try:
            note = await ask_witness(witness, checkpoint, tree)
        except CheckpointError as refused:
            log.warning("checkpoint %s not cosigned: %s", checkpoint.size, refused)
            problems[witness.name] = str(refused)
            continue
        await LedgerCosignature.insert(
            LedgerCosignature(
                tree_size=checkpoint.size,
                witness=witness.name,
                note=note,
                received_at=datetime.now(UTC),
            )
        )
    return problems


async def cosigned_notes(tree_size: int | None = None) -> list[dict[str, Any]]:
    """Kept cosignatures (all, or of one checkpoint size): each note verifies on its own."""
    if tree_size is None:
        return await LedgerCosignature.raw(
            "SELECT tree_size, witness, note FROM ledger_cosignature ORDER BY tree_size"
        )
    return await LedgerCosignature.raw(
        "SELECT tree_size, witness, note FROM ledger_cosignature WHERE tree_size = {}", tree_size
    )


def merge_cosignatures(note: str, cosigned: list[str]) -> str:
    """The checkpoint note with every witness's cosignature line appended after the log's own."""
    lines = [note]
    for other in cosigned:
        extra = other[len(note) :] if other.startswith(note) else ""
        lines.append(extra)
    return "".join(lines)
