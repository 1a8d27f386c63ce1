"""API shapes for recorder imports: what the import page and `casetrail import` send and get back."""

from __future__ import annotations

from typing import Any

import msgspec

TOKEN_HOURS = 12


class HeldCheckIn(msgspec.Struct, forbid_unknown_fields=True):
    """Files (by SHA-256) the import tool is about to send."""

    sha256: list[str]


class ImportIn(msgspec.Struct, forbid_unknown_fields=True):
    """One file an officer hands over, after its bytes went through the upload path.

    Times are ISO 8601 text as sent; the domain reads them (`bad_time` when unreadable).
    """

    client_id: str
    sha256: str
    filename: str
    media_type: str
    size: int | None = None
    device: str | None = None
    officer: str | None = None
    computer: str | None = None
    via: str = "browser"
    file_modified_at: str | None = None
    late_reason: str | None = None
    late_reason_text: str | None = None
    remote_area_return_at: str | None = None


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    case_id: str
    client_id: str
    for_entry: str | None = None
    step: str | None = None
    proposed: bool = True


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    label: str | None = None
    hours: int = TOKEN_HOURS


class HeldOut(msgspec.Struct, omit_defaults=True):
    """Whether the agency already holds a file; when it does, its custody entry."""

    imported: bool
    entry_hash: str | None = None
    imported_at: str | None = None
    filename: str | None = None


class Proposal(msgspec.Struct, frozen=True):
    """A case step a recording probably belongs to, for the officer to confirm; `linked` when
    the recording is on it already."""

    case_id: str
    case_title: str
    case_number: str | None
    step: str | None
    kind: str
    for_entry: str
    overlap_s: int
    linked: bool = False


class RecordingAnswer(msgspec.Struct, omit_defaults=True):
    """A recording's custody (the `recording.imported` payload with who, when and its cases)."""

    status: str  # imported | duplicate
    recording: dict[str, Any]
    proposals: list[Proposal]
    duplicate_entry: str | None = None  # the second hand-over's own entry


class TokenOut(msgspec.Struct):
    """A new import token: shown once, the ledger keeps only its hash."""

    token: str
    officer: str
    expires_at: str
    entry_hash: str


class ImporterOut(msgspec.Struct):
    staff_id: str
    agency_id: str
    via_token: bool
