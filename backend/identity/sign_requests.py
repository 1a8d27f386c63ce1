"""Asking a colleague to sign on their own phone: `signature.requested` entries and each officer's to-sign list.

Co-signing used to happen only on the phone that made the record (each colleague picking their own
passkey there). A request is a ledger fact on the case, so it reaches the colleague wherever they are:
their home screen lists it (until they have signed with that meaning) and a push tells them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from backend.errors import Conflict, Forbidden, Invalid
from backend.identity.access import Principal, can_write_case
from backend.identity.case_facts import case_facts
from backend.identity.members import member_case_ids
from backend.identity.signatures import SIGNATURE_KIND, may_sign, signer_principal
from backend.identity.tables import Staff
from backend.ledger import reads
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger

REQUEST_KIND = "signature.requested"
REQUESTABLE_MEANINGS = ("co_sign", "attest_refusal")


async def _bodies(case_ids: list[str], kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{**e.body, "hash": e.hash} for e in await reads.of_kinds(case_ids, kinds)]


async def request_signature(
    ledger: Ledger, by: Principal, signed: Entry, signer: str, meaning: str, client_id: str | None
) -> Entry:
    """`by` (on the case) asks `signer` (a colleague on the case) to sign `signed` with `meaning`."""
    if meaning not in REQUESTABLE_MEANINGS:
        raise Invalid(f"meaning is one of {', '.join(REQUESTABLE_MEANINGS)}", "bad_meaning")
    if signed.kind == SIGNATURE_KIND or signed.kind == REQUEST_KIND:
        raise Invalid("ask for a signature on the step itself", "bad_signed_entry")
    if not await can_write_case(by, signed.case_id):
        raise Forbidden("only officers on the case ask colleagues to sign", "not_member")
    if signer == by.staff_id:
        raise Invalid("sign your own record on this phone", "self_request")
    colleague = await signer_principal(signer)
    if colleague.agency_id != by.agency_id:
        raise Forbidden("no such active colleague", "not_member")
    await may_sign(colleague, signed.case_id, meaning)
    for b in await _bodies([signed.case_id], (SIGNATURE_KIND,)):
        p = b["payload"]
        if p.get("signs") == signed.hash and p.get("meaning") == meaning and b["actor"] == signer:
            raise Conflict("this colleague already signed", "already_signed")
    digest = hashlib.sha256(f"{signed.hash}|{signer}|{meaning}".encode()).hexdigest()
    return await ledger.append(
        Draft(
            signed.case_id,
            REQUEST_KIND,
            # One open request per entry, colleague and meaning: asking twice is the same request.
            client_id or f"sigreq:{digest[:56]}",
            {"signs": signed.hash, "signer": signer, "meaning": meaning},
            actor=by.staff_id,
        )
    )


async def to_sign(me: Principal) -> list[dict[str, Any]]:
    """Requests addressed to `me` on cases I am on now, that I have not yet signed, oldest first."""
    case_ids = await member_case_ids(me.staff_id, me.agency_id)
    if not case_ids:
        return []
    bodies = await _bodies(case_ids, (REQUEST_KIND, SIGNATURE_KIND))
    signed = {
        (b["payload"].get("signs"), b["payload"].get("meaning"))
        for b in bodies
        if b["kind"] == SIGNATURE_KIND and b["actor"] == me.staff_id
    }
    wanted = [
        b
        for b in bodies
        if b["kind"] == REQUEST_KIND
        and b["payload"]["signer"] == me.staff_id
        and (b["payload"]["signs"], b["payload"]["meaning"]) not in signed
    ]
    if not wanted:
        return []
    kinds = {
        h: e.kind for h, e in (await reads.by_hashes(b["payload"]["signs"] for b in wanted)).items()
    }
    titles = await case_facts().titles(b["case_id"] for b in wanted)
    askers = {
        r["staff_id"]: r["name"]
        for r in await Staff.select(Staff.staff_id, Staff.name).where(
            Staff.staff_id.is_in(list({b["actor"] for b in wanted}))
        )
    }
    seen: set[tuple[str, str]] = set()
    out = []
    for b in wanted:
        key = (b["payload"]["signs"], b["payload"]["meaning"])
        if key in seen:
            continue
        seen.add(key)
        out.append(
            {
                "request": b["hash"],
                "case_id": b["case_id"],
                "case_title": titles.get(b["case_id"], ""),
                "signs": b["payload"]["signs"],
                "signed_kind": kinds.get(b["payload"]["signs"], ""),
                "meaning": b["payload"]["meaning"],
                "requested_by": b["actor"],
                "requested_by_name": askers.get(b["actor"], ""),
                "requested_at": b["received_at"],
            }
        )
    return out
