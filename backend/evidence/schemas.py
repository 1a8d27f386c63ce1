"""API shapes for evidence: finalising media, recording-session steps, devices."""

from __future__ import annotations

from typing import Any

import msgspec


class MediaIn(msgspec.Struct, forbid_unknown_fields=True):
    """Finalise a finished upload as a media entry on the case."""

    client_id: str
    sha256: str
    kind: str
    media_type: str
    claimed: dict[str, Any] | None = None
    device: str | None = None
    payload: dict[str, Any] = {}


class SessionStepIn(msgspec.Struct, forbid_unknown_fields=True):
    """One step of a recording session: kind is av.session_started, av.segment, ... ."""

    kind: str
    client_id: str
    payload: dict[str, Any]
    claimed: dict[str, Any] | None = None
    device: str | None = None


class DeviceIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    number: str
    type: str
    assigned_to: str | None = None
    make: str | None = None
    model: str | None = None


class AssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    assigned_to: str | None


class DeviceCheckIn(msgspec.Struct, forbid_unknown_fields=True):
    """A pre-shift check of a device: battery, storage, clock offset."""

    client_id: str
    battery_pct: float
    storage_free_mb: float
    clock_offset_ms: int
    claimed: dict[str, Any] | None = None


class FaultIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    description: str
    out_of_service: bool = False


class DeviceOut(msgspec.Struct):
    """A registered recording device with its last pre-shift check and open fault."""

    agency_id: str
    number: str
    type: str
    assigned_to: str | None
    make: str | None
    model: str | None
    registered_at: str
    last_check_at: str | None
    last_check_ok: bool | None
    last_check_problems: list[str]
    open_fault: str | None
    out_of_service: bool


class SessionOut(msgspec.Struct):
    """A recording session: start statement, segments, interruptions and how it ended."""

    session_id: str
    case_id: str
    status: str  # none, recording, interrupted, ended, closed_in_writing
    start_statement: dict[str, Any] | None
    segments: list[dict[str, Any]]
    interruptions: list[dict[str, Any]]
    ended: dict[str, Any] | None
    closed_in_writing: dict[str, Any] | None
    entries: list[str]
