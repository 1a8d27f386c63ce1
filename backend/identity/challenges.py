"""Single-use, expiring WebAuthn challenges kept server-side (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.errors import Invalid
from backend.identity.tables import Challenge

CHALLENGE_TTL_S = 300
# Expired challenges are deleted by whoever issues one, at most this often per process: a used or
# expired challenge is refused either way, so keeping it longer protects nothing.
PURGE_EVERY_S = 60.0
_purged_at = -PURGE_EVERY_S


def challenge_of(credential: dict[str, Any]) -> bytes:
    """The challenge the authenticator signed, read from the credential's clientDataJSON."""
    from webauthn.helpers import base64url_to_bytes, parse_client_data_json

    try:
        raw = base64url_to_bytes(credential["response"]["clientDataJSON"])
        return parse_client_data_json(raw).challenge
    except (KeyError, TypeError, ValueError, AttributeError) as bad:
        raise Invalid("credential has no readable clientDataJSON", "bad_credential") from bad
    except Exception as bad:  # py_webauthn raises its own types for malformed client data
        raise Invalid("credential has no readable clientDataJSON", "bad_credential") from bad


async def purge_expired(now: datetime | None = None) -> int:
    """Delete challenges past their expiry; how many went."""
    gone = (
        await Challenge.delete()
        .where(Challenge.expires_at <= (now or datetime.now(UTC)))
        .returning(Challenge.id)
    )
    return len(gone)


async def outstanding(now: datetime | None = None) -> int:
    """Challenges that could still be answered: issued, unused, unexpired."""
    now = now or datetime.now(UTC)
    return await Challenge.count().where(Challenge.used_at.is_null() & (Challenge.expires_at > now))


async def seconds_until_one_expires(now: datetime | None = None) -> int:
    """Whole seconds until the next outstanding challenge expires (frees a place under a cap)."""
    now = now or datetime.now(UTC)
    row = (
        await Challenge.select(Challenge.expires_at)
        .where(Challenge.used_at.is_null() & (Challenge.expires_at > now))
        .order_by(Challenge.expires_at)
        .first()
    )
    if row is None:
        return 1
    return max(1, int((row["expires_at"] - now).total_seconds() + 0.999))


async def issue(purpose: str, subject: str | None = None, ttl_s: int = CHALLENGE_TTL_S) -> bytes:
    global _purged_at
    if time.monotonic() - _purged_at >= PURGE_EVERY_S:
        _purged_at = time.monotonic()
        await purge_expired()
    challenge = secrets.token_bytes(32)
    await Challenge.insert(
        Challenge(
            challenge_hash=hashlib.sha256(challenge).hexdigest(),
            purpose=purpose,
            subject=subject,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl_s),
        )
    )
    return challenge


async def take(challenge: bytes, purpose: str, now: datetime | None = None) -> dict[str, Any]:
    """Use up a challenge once; unknown, expired or already used challenges are refused."""
    now = now or datetime.now(UTC)
    digest = hashlib.sha256(challenge).hexdigest()
    row = await Challenge.select().where(Challenge.challenge_hash == digest).first()
    if row is None or row["purpose"] != purpose:
        raise Invalid("this sign-in attempt is not known here; start again", "unknown_challenge")
    if row["used_at"] is not None:
        raise Invalid("this response was already used (replay refused)", "challenge_used")
    if row["expires_at"] <= now:
        raise Invalid("this sign-in attempt expired; start again", "challenge_expired")
    taken = (
        await Challenge.update({Challenge.used_at: now})
        .where((Challenge.challenge_hash == digest) & Challenge.used_at.is_null())
        .returning(Challenge.id)
    )
    if not taken:  # a concurrent request won the race
        raise Invalid("this response was already used (replay refused)", "challenge_used")
    return row
