"""Request bodies of the review API (msgspec structs)."""

from __future__ import annotations

from typing import Literal

import msgspec


class DrawRequest(msgspec.Struct):
    # Absent: the current month (UTC, as every spot-check period is counted).
    period: str | None = None


class FindingRequest(msgspec.Struct):
    client_id: str
    draw: str
    entry_hash: str
    outcome: Literal["compliant", "deficient", "serious"]
    checks: dict[str, bool]
    notes: str = ""
    replayed_s: float | None = None
    follow_up: str | None = None


class HoldRequest(msgspec.Struct):
    client_id: str
    reason: str
    blobs: list[str] | None = None


class ReleaseRequest(msgspec.Struct):
    client_id: str
    reason: str


class DisposalRequest(msgspec.Struct):
    client_id: str
    reason: str


class RecordingLinkRequest(msgspec.Struct, forbid_unknown_fields=True):
    case_id: str
    client_id: str
    for_entry: str | None = None
    step: str | None = None
