"""Identity tables: agencies, units, staff, passkeys, invitations, challenges, sessions, case members."""

from __future__ import annotations

from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class Agency(Table, tablename="identity_agency"):
    """An enforcement agency (执法机关), bound to the rule pack it runs on."""

    agency_id = Varchar(length=80, unique=True)
    name = Varchar(length=200)
    rule_pack = Varchar(length=80, null=True)
    created_at = Timestamptz()


class Unit(Table, tablename="identity_unit"):
    """A unit of an agency (股室/科室/大队)."""

    unit_id = Varchar(length=80, unique=True)
    agency_id = Varchar(length=80, index=True)
    name = Varchar(length=200)


class Staff(Table, tablename="identity_staff"):
    """A staff member; roles and clearances are JSON lists. Inactive staff cannot sign in."""

    staff_id = Varchar(length=80, unique=True)
    agency_id = Varchar(length=80, index=True)
    unit_id = Varchar(length=80, null=True)
    name = Varchar(length=120)
    cert_number = Varchar(length=80, null=True)
    cert_valid_until = Varchar(length=10, null=True)
    roles = Text(default="[]")
    clearances = Text(default="[]")
    active = Boolean(default=True)
    created_at = Timestamptz()
    deactivated_at = Timestamptz(null=True, default=None)


class Passkey(Table, tablename="identity_passkey"):
    """A registered WebAuthn credential (public key as COSE, base64url)."""

    credential_id = Varchar(length=700, unique=True)
    staff_id = Varchar(length=80, index=True)
    public_key = Text()
    sign_count = Integer(default=0)
    label = Varchar(length=120, null=True)
    transports = Text(default="[]")
    entry_hash = Varchar(length=64, null=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Invite(Table, tablename="identity_invite"):
    """A one-time registration link; only the SHA-256 of its token is kept."""

    token_hash = Varchar(length=64, unique=True)
    agency_id = Varchar(length=80)
    staff_id = Varchar(length=80)
    name = Varchar(length=120)
    roles = Text(default="[]")
    unit_id = Varchar(length=80, null=True)
    created_by = Varchar(length=80, null=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    cert_number = Varchar(length=80, null=True, default=None)
    cert_valid_until = Varchar(length=10, null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    cancelled_by = Varchar(length=80, null=True, default=None)
    cancel_reason = Text(null=True, default=None)


class Challenge(Table, tablename="identity_challenge"):
    """A single-use WebAuthn challenge, found again by the SHA-256 of its bytes."""

    challenge_hash = Varchar(length=64, unique=True)
    purpose = Varchar(length=40)
    subject = Varchar(length=120, null=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class WebSession(Table, tablename="identity_session"):
    """A server-side session; the cookie holds a token whose SHA-256 is `token_hash`."""

    token_hash = Varchar(length=64, unique=True)
    staff_id = Varchar(length=80, index=True)
    credential_id = Varchar(length=700, null=True)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    ip = Varchar(length=64, null=True)
    user_agent = Varchar(length=300, null=True)


class CaseMember(Table, tablename="identity_case_member"):
    """Who is on a case now (a projection of case.member_added / case.member_removed)."""

    case_id = Varchar(length=120, index=True)
    staff_id = Varchar(length=80, index=True)
    role = Varchar(length=20)
    entry_hash = Varchar(length=64)
