"""API shapes for the ledger."""

from __future__ import annotations

from typing import Any

import msgspec


class AppendRequest(msgspec.Struct, forbid_unknown_fields=True):
    """An entry as a client sends it; the server adds seq, prev_hash, actor and received_at."""

    kind: str
    client_id: str
    payload: dict[str, Any]
    claimed: dict[str, Any] | None = None
    device: str | None = None
    blobs: list[str] = []
    signatures: list[dict[str, Any]] = []
    corrects: dict[str, str] | None = None


class EntryOut(msgspec.Struct):
    hash: str
    log_index: int
    case_id: str
    seq: int
    prev_hash: str | None
    kind: str
    kind_version: int
    client_id: str
    actor: str | None
    device: str | None
    claimed: dict[str, Any] | None
    received_at: str
    payload: dict[str, Any]
    blobs: list[str]
    signatures: list[dict[str, Any]]
    corrects: dict[str, str] | None
    v: int = 1
    # Signed promise (entry hash, log index, received time) for the client to keep; on appends.
    promise: str | None = None


class TimelinePage(msgspec.Struct):
    case_id: str
    entries: list[EntryOut]
    next_after_seq: int | None


class CheckpointOut(msgspec.Struct):
    origin: str
    size: int
    root: str
    note: str
    vkey: str
    # The note with every witness's cosignature line, and who cosigned it.
    cosigned_note: str = ""
    witnesses: list[str] = []
    # When the time-stamp authority says the checkpoint existed (not checked here: `verify` does).
    timestamped_at: str | None = None
    # Why protection is reduced right now (time-stamp authority down, a witness refusing).
    problems: list[str] = []


class InclusionOut(msgspec.Struct):
    entry_hash: str
    log_index: int
    tree_size: int
    proof: list[str]
    checkpoint: str


class ConsistencyOut(msgspec.Struct):
    old_size: int
    new_size: int
    proof: list[str]
