"""Server-side sessions: idle and absolute expiry, a CSRF token each, sign-out here or everywhere."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backend.identity import remembered
from backend.identity.access import Principal
from backend.identity.staff import principal_of_row
from backend.identity.tables import WebSession
from backend.settings import Settings

SESSION_COOKIE = "casetrail_session"
CSRF_COOKIE = "csrftoken"
# Touching last_seen_at on every request would be a write per request; a minute is precise enough.
TOUCH_EVERY_S = 60


@dataclass(frozen=True)
class SessionAuth:
    """What the authentication middleware puts in scope["auth"] next to the Principal."""

    token_hash: str
    csrf_token: str
    credential_id: str | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    staff_id: str,
    credential_id: str | None,
    settings: Settings,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, str]:
    """A new session: returns (cookie token, CSRF token). Only the token's hash is stored."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    await WebSession.insert(
        WebSession(
            token_hash=token_hash(token),
            staff_id=staff_id,
            credential_id=credential_id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=settings.session_absolute_s),
            ip=(ip or "")[:64] or None,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    return token, csrf


async def session_principal(
    token: str, settings: Settings, now: datetime | None = None
) -> tuple[Principal, SessionAuth] | None:
    """The caller behind a session cookie, or None if it is unknown, ended, expired or deactivated."""
    if not token or len(token) > 200:
        return None
    now = now or datetime.now(UTC)
    digest = token_hash(token)
    known = remembered.session(digest)
    if known is not None:
        principal, auth, expires_at, last_seen_at = known
        if (
            expires_at > now
            and last_seen_at + timedelta(seconds=settings.session_idle_s) > now
            and (now - last_seen_at).total_seconds() < TOUCH_EVERY_S
        ):
            if remembered.due(key := ("session", digest)):
                remembered.refresh(key, _ask_again(digest, settings))
            return principal, auth
    return await _asked(digest, settings, now)


async def _ask_again(digest: str, settings: Settings) -> None:
    if await _asked(digest, settings, datetime.now(UTC)) is None:
        remembered.forget_session(digest)


async def _asked(
    digest: str, settings: Settings, now: datetime
) -> tuple[Principal, SessionAuth] | None:
    """The database's answer for a session (remembered when good)."""
    asked_at = remembered.generation()
    # One query: the session and the person behind it, still active.
    rows = await WebSession.raw(
        "SELECT s.revoked_at, s.expires_at, s.last_seen_at, s.csrf_token, s.credential_id, "
        "st.staff_id, st.agency_id, st.name, st.roles, st.clearances, st.active "
        "FROM identity_session AS s JOIN identity_staff AS st ON st.staff_id = s.staff_id "
        "WHERE s.token_hash = {}",
        digest,
    )
    if not rows:
        return None
    row = staff = rows[0]
    if row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    if row["last_seen_at"] + timedelta(seconds=settings.session_idle_s) <= now:
        return None
    if not staff["active"]:
        return None
    last_seen_at = row["last_seen_at"]
    if (now - last_seen_at).total_seconds() >= TOUCH_EVERY_S:
        await WebSession.update({WebSession.last_seen_at: now}).where(
            WebSession.token_hash == digest
        )
        last_seen_at = now
    principal = principal_of_row(staff)
    auth = SessionAuth(digest, row["csrf_token"], row["credential_id"])
    remembered.remember_session(
        digest, (principal, auth, row["expires_at"], last_seen_at), asked_at
    )
    return principal, auth


async def end_session(digest: str) -> None:
    remembered.forget_sessions()
    await WebSession.update({WebSession.revoked_at: datetime.now(UTC)}).where(
        (WebSession.token_hash == digest) & WebSession.revoked_at.is_null()
    )
    remembered.forget_sessions()  # and any read while the update ran


async def end_all_sessions(staff_id: str) -> int:
    """Sign out everywhere: every live session of this person ends now."""
    remembered.forget_sessions()
    live = await WebSession.select(WebSession.id).where(
        (WebSession.staff_id == staff_id) & WebSession.revoked_at.is_null()
    )
    await WebSession.update({WebSession.revoked_at: datetime.now(UTC)}).where(
        (WebSession.staff_id == staff_id) & WebSession.revoked_at.is_null()
    )
    remembered.forget_sessions()  # and any read while the update ran
    return len(live)
