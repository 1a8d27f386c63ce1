"""API shapes for cases."""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class Party(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    kind: Literal["person", "organisation"] = "person"
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None


class OpenCase(msgspec.Struct, forbid_unknown_fields=True):
    """Open a case; `case_id` may be made by the client when the case is opened offline."""

    client_id: str
    title: str
    enforcement_kind: str
    procedure: Literal["general", "simplified"] = "general"
    start_path: Literal[
        "application", "ex_officio", "complaint", "emergency", "random_inspection"
    ] = "ex_officio"
    parties: list[Party] = []
    summary: str | None = None
    number: str | None = None
    major: bool = False
    officers: list[str] = []
    case_id: str | None = None
    claimed: dict[str, Any] | None = None
    device: str | None = None


class RequirementOut(msgspec.Struct):
    id: str
    status: str
    citation: dict[str, Any]
    message_zh: str
    message_en: str
    entry_hash: str | None
    late_by_s: int | None
    due_at: str | None
    notes: list[str]
    # Who decided on the record, when and how (passkey or approval record), for approvals.
    approval: dict[str, Any] | None = None


class ProblemOut(msgspec.Struct):
    """A missing or late requirement, as a case list shows it."""

    id: str
    status: str
    message_zh: str
    message_en: str
    due_at: str | None


class CaseOut(msgspec.Struct):
    case_id: str
    agency_id: str
    number: str | None
    title: str
    stage: str
    status: str
    enforcement_kind: str
    procedure: str
    start_path: str
    parties: list[dict[str, Any]]
    opened_at: str
    updated_at: str
    last_seq: int
    compliance: list[RequirementOut] | None = None
    next_steps: list[str] | None = None
    problems: int | None = None
    open_problems: list[ProblemOut] | None = None
