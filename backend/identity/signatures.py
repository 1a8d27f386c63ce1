"""Signed steps: a WebAuthn assertion whose challenge is the 32 raw bytes of the signed entry's hash.

Approvals, legal-review opinions and officers' attestations are `signature.passkey` entries on the
signed entry's case. They verify later from the ledger alone: the public key is in the agency
timeline's `passkey.registered` entry. Two officers can co-sign on one device one after the other:
the signer is whoever owns the passkey that answered, not whoever holds the session. A colleague who
signs on the session holder's phone names themselves first (`signer`): the options then allow only
their passkeys and the server refuses an assertion from anyone else.

The challenge is the entry hash, so it is the same for every ceremony over that entry; an assertion
captured on the phone could be sent again under another meaning. Each assertion is therefore
accepted once: a second one whose signed bytes match one on the ledger is a replay.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from backend.errors import Conflict, Forbidden, Invalid
from backend.identity import passkeys
from backend.identity.access import Principal, can_read_case, can_write_case
from backend.identity.roles import holders
from backend.identity.staff import principal_of_row
from backend.identity.tables import CaseMember, Passkey, Staff
from backend.ledger import reads
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger
from backend.ledger.verify import Problem
from backend.settings import Settings

SIGNATURE_KIND = "signature.passkey"
PASSKEY_KINDS = ("passkey.registered", "passkey.revoked")
# Meanings that need a role; any other meaning (attest_*, co_sign ...) needs case membership.
MEANING_ROLES = {
    "approve": holders("approve"),
    "refuse": holders("approve"),
    "return": holders("approve"),
    "approve_export": holders("approve"),
    "approve_disposal": holders("approve"),
    "legal_review": holders("legal_review"),
}
# An approver who refuses a record or sends it back for correction says why (the `comment`).
MEANINGS_WITH_REASON = {"refuse", "return"}


def challenge_for(entry_hash: str) -> bytes:
    try:
        raw = bytes.fromhex(entry_hash)
    except ValueError as bad:
        raise Invalid("entry hash must be 64 hex digits", "bad_entry_hash") from bad
    if len(raw) != 32:
        raise Invalid("entry hash must be 64 hex digits", "bad_entry_hash")
    return raw


async def signing_options(
    settings: Settings, entry: Entry, meaning: str = "approve", signer: str | None = None
) -> dict[str, Any]:
    """Options for navigator.credentials.get() whose challenge is the entry hash itself.

    With `signer`, only that staff member's live passkeys are allowed (a colleague signing on
    someone else's phone picks their own account, not whichever passkey the phone offers first).
    """
    options = await passkeys.authentication_options(settings, challenge=challenge_for(entry.hash))
    if signer is None:
        return options
    await may_sign(await signer_principal(signer), entry.case_id, meaning)
    keys = await Passkey.select(Passkey.credential_id, Passkey.transports).where(
        (Passkey.staff_id == signer) & Passkey.revoked_at.is_null()
    )
    if not keys:
        raise Forbidden("this colleague has no passkey to sign with", "no_passkey")
    options["allowCredentials"] = [
        {"type": "public-key", "id": k["credential_id"], "transports": json.loads(k["transports"])}
        for k in keys
    ]
    return options


async def signer_principal(staff_id: str) -> Principal:
    row = await Staff.select().where(Staff.staff_id == staff_id).first()
    if row is None or not row["active"]:
        raise Forbidden("no such active colleague", "not_member")
    return principal_of_row(row)


async def co_signers(signed: Entry, meaning: str) -> list[dict[str, Any]]:
    """Case members who may sign `signed` with `meaning`, and whether each already has."""
    members = await CaseMember.select(CaseMember.staff_id).where(
        CaseMember.case_id == signed.case_id
    )
    ids = sorted({m["staff_id"] for m in members})
    rows = await Staff.select().where(Staff.staff_id.is_in(ids)) if ids else []
    done = await _signers_of(signed.case_id, signed.hash, meaning)
    out = []
    for row in sorted(rows, key=lambda r: r["name"]):
        if not row["active"]:
            continue
        try:
            await may_sign(principal_of_row(row), signed.case_id, meaning)
        except Forbidden:
            continue
        out.append(
            {"staff_id": row["staff_id"], "name": row["name"], "signed": row["staff_id"] in done}
        )
    return out


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


async def _case_signature_bodies(case_id: str) -> list[dict[str, Any]]:
    return [e.body for e in await reads.of_kinds([case_id], [SIGNATURE_KIND])]


async def _signers_of(case_id: str, signs: str, meaning: str) -> set[str]:
    """Staff who signed the entry `signs` with `meaning`, with whichever of their passkeys."""
    return {
        b.get("actor")
        for b in await _case_signature_bodies(case_id)
        if b["payload"].get("signs") == signs and b["payload"].get("meaning") == meaning
    }


async def _replayed(case_id: str, cred: str, response: dict[str, Any]) -> bool:
    """Whether these signed bytes (authenticator data + client data) are already on the ledger.

    The signature itself is not compared: an ECDSA signature can be re-encoded without the key.
    """

    # Compared as bytes: base64 text can be padded or re-spelt and still decode the same.
    def raw(text: str) -> bytes:
        return _b64url(text.rstrip("="))

    signed = (raw(response["authenticatorData"]), raw(response["clientDataJSON"]))
    for b in await _case_signature_bodies(case_id):
        p = b["payload"]
        if p.get("credential_id") == cred and signed == (
            raw(p["authenticator_data"]),
            raw(p["client_data_json"]),
        ):
            return True
    return False


# A later domain's request entries answered by a signature (service: a party's request to copy
# records): it refuses meanings that do not answer its request, and turns the verified signature
# into its answer. Identity comes first and may not import it, so the wiring hands each over
# (backend/handoffs.py), keyed by the kind of the signed entry.
@dataclass(frozen=True)
class SignedAnswer:
    check: Callable[[Entry, str], None]  # raises Invalid when the meaning does not answer it
    answer: Callable[[Ledger, Entry, Entry, Principal], Awaitable[object]]


SIGNED_ANSWERS: dict[str, SignedAnswer] = {}


def answer_signed_requests(kind: str, answer: SignedAnswer) -> None:
    """Signatures over `kind` entries are checked and answered by `answer`."""
    SIGNED_ANSWERS[kind] = answer


async def sign_entry(
    ledger: Ledger,
    settings: Settings,
    signed: Entry,
    meaning: str,
    credential: dict[str, Any],
    client_id: str | None = None,
    comment: str | None = None,
    expected_signer: str | None = None,
) -> Entry:
    """Verify the assertion over `signed.hash` and append the `signature.passkey` entry.

    `expected_signer` is the colleague who said they are signing: the passkey must be theirs.
    """
    if signed.kind == SIGNATURE_KIND:
        raise Invalid("sign the step itself, not another signature", "bad_signed_entry")
    if meaning in MEANINGS_WITH_REASON and not (comment or "").strip():
        raise Invalid(f"signing as {meaning!r} needs a reason", "reason_required")
    answered = SIGNED_ANSWERS.get(signed.kind)
    if answered is not None:
        answered.check(signed, meaning)
    key, staff, _ = await passkeys.check_assertion(settings, credential, challenge_for(signed.hash))
    signer = principal_of_row(staff)
    if expected_signer is not None and signer.staff_id != expected_signer:
        raise Forbidden("the passkey that answered is not the named signer's", "wrong_signer")
    await may_sign(signer, signed.case_id, meaning)
    cred = key["credential_id"]
    if signer.staff_id in await _signers_of(signed.case_id, signed.hash, meaning):
        raise Conflict("this officer already signed this entry with this meaning", "already_signed")
    response = credential["response"]
    if await _replayed(signed.case_id, cred, response):
        raise Conflict("this passkey answer was already used for a signature", "replayed_assertion")
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
    if answered is not None:
        await answered.answer(ledger, signed, sig, signer)
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
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes, parse_client_data_json

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
    return keys_from_rows(await reads.stored_rows_of_kinds(PASSKEY_KINDS))


def keys_from_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The passkeys that registration and revocation entries (in log order) establish."""
    keys: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["log_index"]):
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


async def key_rows_for(case_id: str) -> list[dict[str, Any]]:
    """The agency-timeline entries that register (and revoke) the passkeys that signed on a
    case: what its bundle carries so that its signatures verify offline."""
    signed = await _case_signature_bodies(case_id)
    credentials = {b["payload"].get("credential_id") for b in signed}
    if not credentials:
        return []
    rows = await reads.stored_rows_of_kinds(PASSKEY_KINDS)
    return [
        r
        for r in rows
        if r["case_id"].startswith("agency:")
        and json.loads(r["body"])["payload"].get("credential_id") in credentials
    ]


def bundle_signature_problems(
    rows: list[dict[str, Any]], key_rows: list[dict[str, Any]]
) -> list[Problem]:
    """A bundle's passkey signatures checked against the key entries it carries (offline)."""
    keys = keys_from_rows(key_rows)
    entries = [Entry.from_row(r) for r in rows]
    hashes = {e.hash for e in entries}
    problems = []
    for sig in (e for e in entries if e.kind == SIGNATURE_KIND):
        where = f"signature {sig.hash} (case {sig.case_id} seq {sig.seq})"
        for message in signature_problems(sig, keys, hashes):
            problems.append(Problem(where, message, sig.log_index))
    return problems


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
