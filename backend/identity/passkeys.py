"""Passkey ceremonies (py_webauthn): registration and sign-in, user verification required.

Every registration and revocation is also an entry on the agency timeline carrying the public key,
so a signature can be checked later from the ledger alone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from backend.errors import Forbidden, Invalid, NotFound, Unauthorized
from backend.identity import challenges, remembered
from backend.identity.access import Principal
from backend.identity.tables import Passkey, Staff, WebSession
from backend.ledger.entry import Draft
from backend.ledger.ledger import Ledger
from backend.ledger.timelines import agency_timeline
from backend.settings import Settings


def _credential_dict(credential: Any) -> dict[str, Any]:
    if isinstance(credential, str):
        try:
            credential = json.loads(credential)
        except ValueError as bad:
            raise Invalid("credential is not JSON", "bad_credential") from bad
    if not isinstance(credential, dict):
        raise Invalid("credential must be an object", "bad_credential")
    return credential


async def registration_options(settings: Settings, staff: dict[str, Any]) -> dict[str, Any]:
    """Options for navigator.credentials.create(): a discoverable credential, UV required."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    existing = await Passkey.select(Passkey.credential_id).where(
        (Passkey.staff_id == staff["staff_id"]) & Passkey.revoked_at.is_null()
    )
    challenge = await challenges.issue("register", staff["staff_id"])
    options = generate_registration_options(
        rp_id=settings.rp_id,
        rp_name=settings.rp_name,
        user_id=staff["staff_id"].encode(),
        user_name=staff["staff_id"],
        user_display_name=staff["name"],
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(r["credential_id"]))
            for r in existing
        ],
    )
    return json.loads(options_to_json(options))


async def verify_registration(
    settings: Settings, staff: dict[str, Any], credential: Any
) -> tuple[dict[str, Any], Any]:
    """Check the authenticator's answer to a registration this server started; writes nothing else."""
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.exceptions import InvalidRegistrationResponse

    credential = _credential_dict(credential)
    challenge = challenges.challenge_of(credential)
    row = await challenges.take(challenge, "register")
    if row["subject"] != staff["staff_id"]:
        raise Invalid("this registration was started for someone else", "unknown_challenge")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=list(settings.origins),
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as bad:
        raise Invalid(f"passkey registration refused: {bad}", "registration_failed") from bad
    if await Passkey.exists().where(
        Passkey.credential_id == bytes_to_base64url(verified.credential_id)
    ):
        raise Invalid("this passkey is already registered", "passkey_exists")
    return credential, verified


async def record_passkey(
    settings: Settings,
    ledger: Ledger,
    staff: dict[str, Any],
    credential: dict[str, Any],
    verified: Any,
    label: str | None = None,
) -> dict[str, Any]:
    """Keep a verified passkey and record it (with its public key) on the agency timeline."""
    from webauthn.helpers import bytes_to_base64url

    credential_id = bytes_to_base64url(verified.credential_id)
    public_key = bytes_to_base64url(verified.credential_public_key)
    entry = await ledger.append(
        Draft(
            agency_timeline(staff["agency_id"]),
            "passkey.registered",
            f"passkey:{credential_id[:100]}",
            {
                "staff_id": staff["staff_id"],
                "credential_id": credential_id,
                "public_key": public_key,
                "rp_id": settings.rp_id,
                "aaguid": verified.aaguid,
                "user_verified": verified.user_verified,
                **({"label": label} if label else {}),
            },
            actor=staff["staff_id"],
        )
    )
    transports = credential.get("response", {}).get("transports") or []
    await Passkey.insert(
        Passkey(
            credential_id=credential_id,
            staff_id=staff["staff_id"],
            public_key=public_key,
            sign_count=verified.sign_count,
            label=label,
            transports=json.dumps(transports),
            entry_hash=entry.hash,
            created_at=datetime.now(UTC),
        )
    )
    return {"credential_id": credential_id, "entry_hash": entry.hash}


async def finish_registration(
    settings: Settings,
    ledger: Ledger,
    staff: dict[str, Any],
    credential: Any,
    label: str | None = None,
) -> dict[str, Any]:
    """Verify a registration and keep the passkey."""
    credential, verified = await verify_registration(settings, staff, credential)
    return await record_passkey(settings, ledger, staff, credential, verified, label)


async def authentication_options(
    settings: Settings, purpose: str = "signin", challenge: bytes | None = None
) -> dict[str, Any]:
    """Options for navigator.credentials.get(): any of the device's passkeys for this site, UV required."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    if challenge is None:
        challenge = await challenges.issue(purpose)
    options = generate_authentication_options(
        rp_id=settings.rp_id,
        challenge=challenge,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return json.loads(options_to_json(options))


async def check_assertion(
    settings: Settings, credential: Any, challenge: bytes
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Verify an assertion against its live passkey: (passkey row, staff row, new sign count).

    Refuses unknown or revoked passkeys, deactivated staff, a wrong origin or RP ID, a missing
    user verification, and a sign count that did not move forward (a cloned or replayed response).
    """
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse

    credential = _credential_dict(credential)
    credential_id = credential.get("id") or credential.get("rawId")
    if not isinstance(credential_id, str):
        raise Invalid("credential id missing", "bad_credential")
    key = await Passkey.select().where(Passkey.credential_id == credential_id).first()
    if key is None:
        raise Unauthorized("this passkey is not registered here", "unknown_credential")
    if key["revoked_at"] is not None:
        raise Unauthorized("this passkey was revoked", "passkey_revoked")
    staff = await Staff.select().where(Staff.staff_id == key["staff_id"]).first()
    if staff is None or not staff["active"]:
        raise Unauthorized("this staff account is deactivated", "staff_inactive")
    handle = credential.get("response", {}).get("userHandle")
    if handle and base64url_to_bytes(handle) != key["staff_id"].encode():
        raise Unauthorized("the passkey answered for someone else", "user_mismatch")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=list(settings.origins),
            credential_public_key=base64url_to_bytes(key["public_key"]),
            credential_current_sign_count=key["sign_count"],
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as bad:
        raise Unauthorized(f"passkey check failed: {bad}", "assertion_failed") from bad
    await Passkey.update(
        {Passkey.sign_count: verified.new_sign_count, Passkey.last_used_at: datetime.now(UTC)}
    ).where(Passkey.credential_id == credential_id)
    return key, staff, verified.new_sign_count


async def finish_authentication(settings: Settings, credential: Any) -> tuple[dict, dict]:
    """Sign-in: the challenge must be one this server issued, unused and unexpired."""
    credential = _credential_dict(credential)
    challenge = challenges.challenge_of(credential)
    await challenges.take(challenge, "signin")
    key, staff, _ = await check_assertion(settings, credential, challenge)
    return key, staff


async def list_passkeys(staff_id: str) -> list[dict[str, Any]]:
    rows = await Passkey.select().where(Passkey.staff_id == staff_id).order_by(Passkey.created_at)
    return [
        {
            "credential_id": r["credential_id"],
            "label": r["label"],
            "created_at": r["created_at"].isoformat(),
            "last_used_at": r["last_used_at"].isoformat() if r["last_used_at"] else None,
            "revoked": r["revoked_at"] is not None,
            "entry_hash": r["entry_hash"],
        }
        for r in rows
    ]


async def revoke_passkey(
    ledger: Ledger, by: Principal, credential_id: str, reason: str = ""
) -> dict[str, Any]:
    """Revoke one's own passkey (or, as admin, a colleague's); sessions it opened end with it."""
    key = await Passkey.select().where(Passkey.credential_id == credential_id).first()
    owner = await Staff.select().where(Staff.staff_id == key["staff_id"]).first() if key else None
    if key is None or owner is None or owner["agency_id"] != by.agency_id:
        raise NotFound("no such passkey", code="passkey_not_found")
    if key["staff_id"] != by.staff_id and "admin" not in by.roles:
        raise Forbidden("only the owner or an admin may revoke a passkey", "not_your_passkey")
    if key["revoked_at"] is not None:
        return {"credential_id": credential_id, "revoked": True}
    entry = await ledger.append(
        Draft(
            agency_timeline(owner["agency_id"]),
            "passkey.revoked",
            f"passkey-revoked:{credential_id[:100]}",
            {
                "staff_id": key["staff_id"],
                "credential_id": credential_id,
                **({"reason": reason} if reason else {}),
            },
            actor=by.staff_id,
        )
    )
    now = datetime.now(UTC)
    await Passkey.update({Passkey.revoked_at: now}).where(Passkey.credential_id == credential_id)
    await WebSession.update({WebSession.revoked_at: now}).where(
        (WebSession.credential_id == credential_id) & WebSession.revoked_at.is_null()
    )
    remembered.forget_sessions()
    return {"credential_id": credential_id, "revoked": True, "entry_hash": entry.hash}
