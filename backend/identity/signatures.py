"""Signed steps: a WebAuthn assertion whose challenge is the 32 raw bytes of the signed entry's hash.

Approvals, legal-review opinions and officers' attestations are `signature.passkey` entries on the
signed entry's case. They verify later from the ledger alone: the public key is in the agency
timeline's `passkey.registered` entry. Two officers can co-sign on one device one after the other:
the signer is whoever owns the passkey that answered, not whoever holds the session.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import urlparse

from webauthn import verify_authentication_response
from webauthn.helpers import base64url_to_bytes, parse_client_data_json

from backend.errors import Conflict, Forbidden, Invalid
from backend.identity import passkeys
from backend.identity.access import Principal, can_read_case, can_write_case
from backend.identity.staff import principal_of_row
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger
from backend.ledger.tables import LedgerEntry
from backend.ledger.verify import Problem
from backend.settings import Settings

SIGNATURE_KIND = "signature.passkey"
# Meanings that need a role; any other meaning (attest_*, co_sign ...) needs case membership.
MEANING_ROLES = {
    "approve": {"approver"},
    "approve_export": {"approver"},
    "approve_disposal": {"approver"},
    "legal_review": {"legal_reviewer"},
}


def challenge_for(entry_hash: str) -> bytes:
    try:
        raw = bytes.fromhex(entry_hash)
    except ValueError as bad:
        raise Invalid("entry hash must be 64 hex digits", "bad_entry_hash") from bad
    if len(raw) != 32:
        raise Invalid("entry hash must be 64 hex digits", "bad_entry_hash")
    return raw


async def signing_options(settings: Settings, entry: Entry) -> dict[str, Any]:
    """Options for navigator.credentials.get() whose challenge is the entry hash itself."""
    return await passkeys.authentication_options(settings, challenge=challenge_for(entry.hash))


async def may_sign(signer: Principal, case_id: str, meaning: str) -> None:
    needed = MEANING_ROLES.get(meaning)
    if needed is not None:
        if not signer.roles & needed:
            raise Forbidden(
                f"signing as {meaning!r} needs the {'/'.join(needed)} role", "role_required"
            )
        if not await can_read_case(signer, case_id):
            raise Forbidden("the signer may not see this case", "not_member")
        return
    if not await can_write_case(signer, case_id):
        raise Forbidden("only officers on the case may attest", "not_member")


async def _already_signed(
    ledger: Ledger, case_id: str, signs: str, cred: str, meaning: str
) -> bool:
    rows = await LedgerEntry.raw(
        "SELECT body FROM ledger_entry WHERE case_id = {} AND kind = {}", case_id, SIGNATURE_KIND
    )
    for row in rows:
        p = json.loads(row["body"])["payload"]
        if (
            p.get("signs") == signs
            and p.get("credential_id") == cred
            and p.get("meaning") == meaning
        ):
            return True
    return False


async def sign_entry(
    ledger: Ledger,
    settings: Settings,
    signed: Entry,
    meaning: str,
    credential: dict[str, Any],
    client_id: str | None = None,
    comment: str | None = None,
) -> Entry:
    """Verify the assertion over `signed.hash` and append the `signature.passkey` entry."""
    if signed.kind == SIGNATURE_KIND:
        raise Invalid("sign the step itself, not another signature", "bad_signed_entry")
    key, staff, _ = await passkeys.check_assertion(settings, credential, challenge_for(signed.hash))
    signer = principal_of_row(staff)
    await may_sign(signer, signed.case_id, meaning)
    cred = key["credential_id"]
    if await _already_signed(ledger, signed.case_id, signed.hash, cred, meaning):
        raise Conflict("this passkey already signed this entry with this meaning", "already_signed")
    response = credential["response"]
    payload: dict[str, Any] = {
        "signs": signed.hash,
        "meaning": meaning,
        "credential_id": cred,
        "authenticator_data": response["authenticatorData"],
        "client_data_json": response["clientDataJSON"],
        "signature": response["signature"],
        "user_handle": response.get("userHandle") or None,
        "signer_role": sorted(signer.roles)[0] if signer.roles else "",
    }
    if comment:
        payload["comment"] = comment
    digest = hashlib.sha256(f"{signed.hash}|{cred}|{meaning}".encode()).hexdigest()
    sig = await ledger.append(
        Draft(
            signed.case_id,
            SIGNATURE_KIND,
            client_id or f"sig:{digest[:60]}",
            payload,
            actor=signer.staff_id,
        )
    )
    if meaning == "approve_export" and signed.kind == "export.requested":
        from backend.identity.exports import grant_after_signature

        await grant_after_signature(ledger, signed, sig, signer)
    return sig


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_passkey_signature(
    sig_entry_body: dict[str, Any], credential_public_key: str | bytes, rp_id: str | None = None
) -> bool:
    """Whether a `signature.passkey` entry's assertion verifies against a COSE public key.

    Checks the challenge is the signed hash, the ceremony type, user verification and the
    signature; the RP ID is the one recorded at registration (default: the origin's host).
    """
    payload = sig_entry_body.get("payload", sig_entry_body)
    try:
        challenge = bytes.fromhex(payload["signs"])
        client_data = parse_client_data_json(_b64url(payload["client_data_json"]))
        key = (
            credential_public_key
            if isinstance(credential_public_key, bytes)
            else base64url_to_bytes(credential_public_key)
        )
        verify_authentication_response(
            credential={
                "id": payload["credential_id"],
                "rawId": payload["credential_id"],
                "type": "public-key",
                "response": {
                    "authenticatorData": payload["authenticator_data"],
                    "clientDataJSON": payload["client_data_json"],
                    "signature": payload["signature"],
                    "userHandle": payload.get("user_handle") or None,
                },
            },
            expected_challenge=challenge,
            expected_rp_id=rp_id or urlparse(client_data.origin).hostname or "",
            expected_origin=client_data.origin,
            credential_public_key=key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except Exception:  # any malformed or failing assertion simply does not verify
        return False
    return True


async def registered_keys() -> dict[str, dict[str, Any]]:
    """credential id -> registration (payload, log_index) and revocation log_index, from the ledger."""
    rows = await LedgerEntry.raw(
        "SELECT log_index, case_id, body FROM ledger_entry "
        "WHERE kind IN ('passkey.registered', 'passkey.revoked') ORDER BY log_index"
    )
    keys: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not row["case_id"].startswith("agency:"):
            continue  # keys only count when recorded on an agency timeline
        body = json.loads(row["body"])
        cred = body["payload"]["credential_id"]
        if body["kind"] == "passkey.registered":
            keys.setdefault(
                cred,
                {
                    **body["payload"],
                    "agency": row["case_id"],
                    "log_index": row["log_index"],
                    "revoked_at": None,
                },
            )
        elif cred in keys and keys[cred]["revoked_at"] is None:
            keys[cred]["revoked_at"] = row["log_index"]
    return keys


def signature_problems(
    entry: Entry, keys: dict[str, dict[str, Any]], case_hashes: set[str] | None
) -> list[str]:
    p = entry.payload
    key = keys.get(p.get("credential_id", ""))
    if key is None:
        return ["signed with a passkey not registered on any agency timeline"]
    out = []
    if key["log_index"] > entry.log_index:
        out.append("signed before its passkey was registered")
    if key["revoked_at"] is not None and key["revoked_at"] < entry.log_index:
        out.append("signed after its passkey was revoked")
    if entry.body.get("actor") != key["staff_id"]:
        out.append(f"actor {entry.body.get('actor')} is not the passkey's owner {key['staff_id']}")
    if case_hashes is not None and p.get("signs") not in case_hashes:
        out.append("the signed entry is not on this case")
    if not verify_passkey_signature(entry.body, key["public_key"], key.get("rp_id")):
        out.append("assertion does not verify against the registered public key")
    return out


async def verify_signatures(ledger: Ledger, case_id: str) -> list[Problem]:
    """Every `signature.passkey` entry of a case, checked against the keys on the agency timelines."""
    entries = await ledger.whole_timeline(case_id)
    signatures = [e for e in entries if e.kind == SIGNATURE_KIND]
    if not signatures:
        return []
    keys = await registered_keys()
    hashes = {e.hash for e in entries}
    problems = []
    for sig in signatures:
        where = f"signature {sig.hash} (case {case_id} seq {sig.seq})"
        for message in signature_problems(sig, keys, hashes):
            problems.append(Problem(where, message, sig.log_index))
    return problems


async def signature_entry_verifies(entry: Entry) -> bool:
    """One `signature.passkey` entry checked against the ledger's keys (for other domains' checks)."""
    if entry.kind != SIGNATURE_KIND:
        return False
    return not signature_problems(entry, await registered_keys(), None)


async def case_signatures(ledger: Ledger, case_id: str) -> list[dict[str, Any]]:
    """The case's signatures with whether each verifies, for the API and the PWA."""
    entries = await ledger.whole_timeline(case_id)
    keys = await registered_keys()
    hashes = {e.hash for e in entries}
    out = []
    for sig in (e for e in entries if e.kind == SIGNATURE_KIND):
        problems = signature_problems(sig, keys, hashes)
        out.append(
            {
                "hash": sig.hash,
                "signs": sig.payload["signs"],
                "meaning": sig.payload["meaning"],
                "signer": sig.body.get("actor"),
                "credential_id": sig.payload["credential_id"],
                "received_at": sig.body["received_at"],
                "verified": not problems,
                "problems": problems,
            }
        )
    return out
