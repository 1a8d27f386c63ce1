"""What a party does through a service link: open it, confirm receipt, answer within the deadline.

Everything here starts from a resolved link row; the page shows nothing about the case beyond
the served document, the agency, the deadline and the proofs.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.cases.lifecycle import pack_for
from backend.errors import Conflict, Forbidden, Invalid
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger
from backend.moments import aware
from backend.service.masking import mask_name
from backend.service.receipts import make_receipt
from backend.service.tables import ServiceLink

CHINA = ZoneInfo("Asia/Shanghai")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_PNG = 2 * 1024 * 1024
DEFAULT_STATEMENT_DAYS = 3


def end_of_day_after(moment: datetime, days: int) -> datetime:
    """23:59:59 China time on the `days`-th day after `moment` (the day of service not counted)."""
    day: date = moment.astimezone(CHINA).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA).astimezone(UTC)


async def statement_days(link: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    if link["statement_days"]:
        return int(link["statement_days"]), None
    pack = await pack_for(link["agency_id"])
    rule = pack.deadlines.get("statement_defence")
    return (rule["days"], rule["citation"]) if rule else (DEFAULT_STATEMENT_DAYS, None)


async def open_link(
    ledger: Ledger, link: dict[str, Any], *, ip: str, user_agent: str, now: datetime | None = None
) -> dict[str, Any]:
    """Record this opening (the first is the moment of service) and return what the page shows."""
    now = now or datetime.now(UTC)
    first = link["first_opened_at"] is None
    deadline = aware(link["statement_deadline"])
    days, citation = await statement_days(link)
    if first and deadline is None:
        deadline = end_of_day_after(now, days)
    payload: dict[str, Any] = {
        "link_entry": link["link_entry"],
        "document_sha256": link["document_sha256"],
        "first": first,
        "ip": ip[:100],
        "user_agent": user_agent[:1000],
    }
    if first and deadline is not None:
        payload["statement_deadline"] = utc_iso(deadline)
    opened = await ledger.append(
        Draft(
            case_id=link["case_id"],
            kind="service.opened",
            client_id=f"open:{uuid.uuid4()}",
            payload=payload,
            actor=_actor(link),
        )
    )
    if first:
        # Only the first writer sets the service moment; a racing second opening keeps it.
        await ServiceLink.update(
            {
                ServiceLink.first_opened_at: opened.received_at,
                ServiceLink.statement_deadline: deadline,
            }
        ).where(
            (ServiceLink.link_entry == link["link_entry"]) & (ServiceLink.first_opened_at.is_null())
        )
        link = await _reload(link)
    return await page_view(ledger, link, opened, citation, now)


async def page_view(
    ledger: Ledger,
    link: dict[str, Any],
    opened: Entry | None,
    citation: dict[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    pack = await pack_for(link["agency_id"])
    proof = await ledger.inclusion(link["link_entry"])
    deadline = aware(link["statement_deadline"])
    statements = [
        {"entry_hash": e.hash, "type": e.payload["type"], "at": e.body["received_at"]}
        for e in await _party_entries(ledger, link, "party.statement")
    ]
    return {
        "agency": {"name_zh": pack.agency_name, "name_en": pack.data["agency"]["name_en"]},
        "recipient": mask_name(link["recipient"], pack),
        "document": {
            "name": link["document_name"],
            "sha256": link["document_sha256"],
            "link_entry": link["link_entry"],
        },
        "served_at": utc_iso(link["first_opened_at"]) if link["first_opened_at"] else None,
        "opened_entry": opened.hash if opened else None,
        "statement_deadline": utc_iso(deadline) if deadline else None,
        "statement_open": deadline is None or now <= deadline,
        "statement_citation": citation,
        "confirmed_entry": link["confirmed_entry"],
        "statements": statements,
        "expires_at": utc_iso(link["expires_at"]),
        "checkpoint": {
            "note": proof["checkpoint"],
            "vkey": ledger.signer.vkey if ledger.signer else "",
            "log_index": proof["log_index"],
            "proof": proof["proof"],
            "tree_size": proof["tree_size"],
        },
    }


async def _reload(link: dict[str, Any]) -> dict[str, Any]:
    row = await ServiceLink.select().where(ServiceLink.link_entry == link["link_entry"]).first()
    return row or link


async def _party_entries(ledger: Ledger, link: dict[str, Any], kind: str) -> list[Entry]:
    return [
        e
        for e in await ledger.whole_timeline(link["case_id"])
        if e.kind == kind and e.payload.get("link_entry") == link["link_entry"]
    ]


def _actor(link: dict[str, Any]) -> str:
    return f"party:{link['token_sha256'][:12]}"


def _require_served(link: dict[str, Any]) -> None:
    if link["first_opened_at"] is None:
        raise Conflict("请先打开文书 / Open the document first", code="not_opened")


# -- confirming receipt ------------------------------------------------------------------


def registration_options(link: dict[str, Any], rp_id: str, rp_name: str) -> str:
    """WebAuthn creation options whose challenge is the served document's SHA-256.

    A party has no account, so there is no credential to assert with: a fresh registration
    ceremony with user verification is the signature, and the challenge binds it to the bytes.
    """
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_name=f"受送达人 {link['token_sha256'][:8]}",
        user_display_name="受送达人 Recipient",
        user_id=bytes.fromhex(link["token_sha256"][:32]),
        challenge=bytes.fromhex(link["document_sha256"]),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        timeout=120000,
    )
    return options_to_json(options)


async def confirm_with_passkey(
    ledger: Ledger,
    link: dict[str, Any],
    credential: dict[str, Any],
    *,
    rp_id: str,
    origins: list[str],
    ip: str,
    user_agent: str,
) -> dict[str, Any]:
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.exceptions import InvalidRegistrationResponse

    _require_served(link)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=bytes.fromhex(link["document_sha256"]),
            expected_rp_id=rp_id,
            expected_origin=origins,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as bad:
        raise Invalid(
            f"确认未通过验证 / The confirmation did not verify: {bad}", code="bad_ceremony"
        ) from bad
    response = credential.get("response", {})
    payload = {
        "link_entry": link["link_entry"],
        "document_sha256": link["document_sha256"],
        "method": "passkey",
        "credential": {
            "id": bytes_to_base64url(verified.credential_id),
            "public_key": bytes_to_base64url(verified.credential_public_key),
            "sign_count": verified.sign_count,
            "aaguid": verified.aaguid,
            "fmt": str(getattr(verified.fmt, "value", verified.fmt)),
            "user_verified": verified.user_verified,
            "device_type": str(getattr(verified.credential_device_type, "value", "")),
            "backed_up": verified.credential_backed_up,
        },
        "ceremony": {
            "type": "webauthn.create",
            "challenge": bytes_to_base64url(bytes.fromhex(link["document_sha256"])),
            "origin": _client_origin(response.get("clientDataJSON", "")),
            "rp_id": rp_id,
            "client_data_json": response.get("clientDataJSON", ""),
            "attestation_object": response.get("attestationObject", ""),
        },
        "ip": ip[:100],
        "user_agent": user_agent[:1000],
    }
    return await _confirmed(ledger, link, payload, ())


def _client_origin(client_data_b64: str) -> str:
    import json

    from webauthn.helpers import base64url_to_bytes

    try:
        return str(json.loads(base64url_to_bytes(client_data_b64)).get("origin", ""))
    except (ValueError, binascii.Error):
        return ""


async def confirm_with_drawing(
    ledger: Ledger,
    blobs: Any,
    link: dict[str, Any],
    *,
    png_base64: str,
    strokes: list[list[list[float]]],
    ip: str,
    user_agent: str,
) -> dict[str, Any]:
    _require_served(link)
    if png_base64.startswith("data:"):
        png_base64 = png_base64.split(",", 1)[-1]
    try:
        png = base64.b64decode(png_base64, validate=True)
    except (binascii.Error, ValueError) as bad:
        raise Invalid(
            "签名图像无效 / The signature image is not valid", code="bad_signature"
        ) from bad
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_PNG:
        raise Invalid("签名图像无效 / The signature image is not valid", code="bad_signature")
    if not strokes or not any(len(s) >= 2 for s in strokes):
        raise Invalid("请先签名 / Please sign first", code="empty_signature")
    async with blobs.writer(max_bytes=MAX_SIGNATURE_PNG) as writer:
        await writer.write(png)
    sha = writer.sha256
    payload = {
        "link_entry": link["link_entry"],
        "document_sha256": link["document_sha256"],
        "method": "drawn",
        "signature_blob": sha,
        "strokes": strokes,
        "ip": ip[:100],
        "user_agent": user_agent[:1000],
    }
    return await _confirmed(ledger, link, payload, (sha,))


async def _confirmed(
    ledger: Ledger, link: dict[str, Any], payload: dict[str, Any], blob_shas: tuple[str, ...]
) -> dict[str, Any]:
    entry = await ledger.append(
        Draft(
            case_id=link["case_id"],
            kind="party.confirmed",
            client_id=f"confirm:{uuid.uuid4()}",
            payload=payload,
            actor=_actor(link),
            blobs=blob_shas,
        )
    )
    await ServiceLink.update({ServiceLink.confirmed_entry: entry.hash}).where(
        ServiceLink.link_entry == link["link_entry"]
    )
    return await receipt_for(ledger, {**link, "confirmed_entry": entry.hash}, [entry.hash])


async def receipt_for(
    ledger: Ledger, link: dict[str, Any], extra: list[str] | None = None
) -> dict[str, Any]:
    """The party's receipt: link made, first opening, confirmation and statements, with proofs."""
    hashes = [link["link_entry"]]
    first = [e for e in await _party_entries(ledger, link, "service.opened") if e.payload["first"]]
    hashes += [e.hash for e in first[:1]]
    if link.get("confirmed_entry"):
        hashes.append(link["confirmed_entry"])
    hashes += [e.hash for e in await _party_entries(ledger, link, "party.statement")]
    hashes += [h for h in extra or [] if h not in hashes]
    pack = await pack_for(link["agency_id"])
    return await make_receipt(
        ledger,
        hashes,
        agency=pack.agency_name,
        document_name=link["document_name"],
        document_sha256=link["document_sha256"],
        served_at=utc_iso(link["first_opened_at"]) if link["first_opened_at"] else None,
    )


# -- statements and defence ----------------------------------------------------------------


def check_deadline(link: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """The statement deadline, or Forbidden with a clear message once it has passed."""
    now = now or datetime.now(UTC)
    _require_served(link)
    deadline = aware(link["statement_deadline"])
    if deadline is not None and now > deadline:
        local = deadline.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
        raise Forbidden(
            f"陈述申辩期限已于{local}（北京时间）届满，不能再通过本链接提交 / "
            f"The deadline for statements and defence passed at {local} China time; "
            "this link no longer accepts them",
            code="deadline_passed",
            detail={"deadline": utc_iso(deadline)},
        )
    return deadline


async def submit_statement(
    ledger: Ledger,
    link: dict[str, Any],
    *,
    type_: str,
    text: str,
    attachments: list[dict[str, Any]],
    ip: str,
    user_agent: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Append `party.statement` if the deadline has not passed; refuse clearly if it has."""
    now = now or datetime.now(UTC)
    deadline = check_deadline(link, now)
    if type_ not in ("statement", "defence"):
        raise Invalid("type must be statement or defence", code="bad_statement")
    if not text.strip():
        raise Invalid("请填写陈述申辩内容 / Write your statement first", code="empty_statement")
    payload: dict[str, Any] = {
        "link_entry": link["link_entry"],
        "document_sha256": link["document_sha256"],
        "type": type_,
        "text": text.strip(),
        "attachments": attachments,
        "ip": ip[:100],
        "user_agent": user_agent[:1000],
    }
    if deadline is not None:
        payload["deadline"] = utc_iso(deadline)
    entry = await ledger.append(
        Draft(
            case_id=link["case_id"],
            kind="party.statement",
            client_id=f"statement:{uuid.uuid4()}",
            payload=payload,
            actor=_actor(link),
            blobs=tuple(a["sha256"] for a in attachments),
        )
    )
    return await make_receipt(
        ledger,
        [entry.hash],
        agency=(await pack_for(link["agency_id"])).agency_name,
        document_name=link["document_name"],
        document_sha256=link["document_sha256"],
    )
