"""API shapes for identity: passkey ceremonies, sessions, staff, invitations, signatures, exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

Role = Literal["officer", "legal_reviewer", "approver", "supervisor", "archivist", "admin"]
Clearance = Literal["secret", "business_secret", "privacy"]
CertDate = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class CredentialIn(msgspec.Struct, forbid_unknown_fields=True):
    """A browser's PublicKeyCredential as JSON (py_webauthn's / the WebAuthn JSON form)."""

    credential: dict[str, Any]
    label: str | None = None


class MeOut(msgspec.Struct):
    staff_id: str
    agency_id: str
    name: str
    roles: list[str]
    clearances: list[str]
    csrf_header: str = "x-csrftoken"
    cert_number: str | None = None
    csrf_cookie: str = "csrftoken"


class PasskeyOut(msgspec.Struct):
    credential_id: str
    label: str | None
    created_at: str
    last_used_at: str | None
    revoked: bool
    entry_hash: str | None


class RegisteredOut(msgspec.Struct):
    credential_id: str
    entry_hash: str


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str = ""


class RevokedOut(msgspec.Struct):
    credential_id: str
    revoked: bool
    entry_hash: str | None = None


class InviteIn(msgspec.Struct, forbid_unknown_fields=True):
    """The agency is always the inviting admin's own; it cannot be named here."""

    roles: list[Role]
    name: str = msgspec.field(default="")
    unit_id: str | None = None
    cert_number: str | None = None
    cert_valid_until: CertDate | None = None


class InviteOut(msgspec.Struct):
    link: str
    staff_id: str
    expires_at: str
    qr_svg: str


class PendingInviteOut(msgspec.Struct):
    """A pending invitation as admins see it: who and for what, never its token."""

    staff_id: str
    name: str
    roles: list[str]
    unit_id: str | None
    cert_number: str | None
    cert_valid_until: str | None
    invited_by: str | None
    invited_by_name: str | None
    created_at: str
    expires_at: str


class InviteCancel(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class InviteCancelledOut(msgspec.Struct):
    staff_id: str
    name: str
    cancelled_at: str
    entry_hash: str


class InviteInfo(msgspec.Struct):
    name: str
    agency_id: str
    roles: list[str]
    options: dict[str, Any]


class StaffOut(msgspec.Struct):
    staff_id: str
    agency_id: str
    unit_id: str | None
    name: str
    cert_number: str | None
    cert_valid_until: str | None
    roles: list[str]
    clearances: list[str]
    active: bool
    # valid | expiring (within 30 days) | expired | missing, judged on today's date in China
    cert_status: str = "missing"
    passkeys: int = 0


class StaffChange(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    roles: list[Role] | None = None
    clearances: list[Clearance] | None = None
    cert_number: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None
    cert_valid_until: CertDate | None = None


class Deactivate(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    reason: str = "离职 left the agency"


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    staff_id: str
    client_id: str
    role: Literal["handler", "officer", "reviewer"] = "officer"


class MemberRemoval(msgspec.Struct, forbid_unknown_fields=True):
    reason: str
    client_id: str


class MemberOut(msgspec.Struct):
    staff_id: str
    role: str
    entry_hash: str
    # Who the member is, as colleagues know them (same agency only; empty when unknown).
    name: str = ""
    unit_id: str | None = None
    cert_number: str | None = None


class ColleagueOut(msgspec.Struct):
    """A colleague in the agency's directory, as the officer's pickers show them."""

    staff_id: str
    name: str
    unit_id: str | None
    cert_number: str | None
    roles: list[str]


class SignRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    signer: str
    meaning: str = "co_sign"
    client_id: str | None = None


class ToSignOut(msgspec.Struct):
    """A colleague's request that I sign an entry with my passkey."""

    request: str
    case_id: str
    case_title: str
    signs: str
    signed_kind: str
    meaning: str
    requested_by: str
    requested_by_name: str
    requested_at: str


class SignOptionsIn(msgspec.Struct, forbid_unknown_fields=True):
    meaning: str = "approve"
    # A colleague signing on this device names themselves: only their passkeys are offered.
    signer: str | None = None


class SignIn(msgspec.Struct, forbid_unknown_fields=True):
    meaning: str
    credential: dict[str, Any]
    client_id: str | None = None
    comment: str | None = None
    signer: str | None = None


class CoSignerOut(msgspec.Struct):
    """A case member who may sign an entry, and whether they already did."""

    staff_id: str
    name: str
    signed: bool


class SignatureOut(msgspec.Struct):
    hash: str
    signs: str
    meaning: str
    signer: str | None
    credential_id: str
    received_at: str
    verified: bool
    problems: list[str]


class ExportRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """A request to copy (name the entries in `items` and the `recipient`) or export the case."""

    scope: Literal["copy", "export"]
    purpose: str
    client_id: str
    recipient: str | None = None
    items: list[str] | None = None


class PermissionOut(msgspec.Struct):
    allowed: bool
    permission: str | None = None
    valid_until: str | None = None
    items: list[str] | None = None
    recipient: str | None = None


class CopyIn(msgspec.Struct, forbid_unknown_fields=True):
    """One copy: which approved entries, handed to which approved recipient."""

    items: list[str]
    recipient: str


class CopyOut(msgspec.Struct):
    permission: str
    valid_until: str
    logged: str | None
