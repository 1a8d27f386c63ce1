"""Schema steps for identity: agencies, staff, passkeys, invitations, challenges, sessions, members."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.identity.tables import (
    Agency,
    CaseMember,
    Challenge,
    Invite,
    Passkey,
    Staff,
    Unit,
    WebSession,
)
from backend.migrations import add_column

TABLES = (Agency, Unit, Staff, Passkey, Invite, Challenge, WebSession, CaseMember)


async def create_identity(engine: Engine) -> None:
    for table in TABLES:
        await table.create_table(if_not_exists=True)
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS identity_case_member_one "
        "ON identity_case_member (case_id, staff_id)"
    )


async def invite_certificates(engine: Engine) -> None:
    """The enforcement certificate is known when the admin invites, before the person registers."""
    for column, width in (("cert_number", 80), ("cert_valid_until", 10)):
        await add_column(engine, "identity_invite", column, f"VARCHAR({width})")


async def invite_cancellation(engine: Engine) -> None:
    """A link sent to the wrong person must stop working before it expires."""
    await add_column(engine, "identity_invite", "cancelled_at", "TIMESTAMPTZ")
    await add_column(engine, "identity_invite", "cancelled_by", "VARCHAR(80)")
    await add_column(engine, "identity_invite", "cancel_reason", "TEXT")


MIGRATIONS = [
    ("identity.0001_agencies_staff_passkeys_sessions", create_identity),
    ("identity.0002_invite_certificates", invite_certificates),
    ("identity.0003_invite_cancellation", invite_cancellation),
]
