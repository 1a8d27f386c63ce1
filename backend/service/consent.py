"""The party's consent to electronic service (电子送达确认书), recorded before any link is made.

Consent is what makes a link lawful service, so it is not a free-form record: it must name a party
of the case, the channel and address they agreed to, and carry the signed form as evidence already
uploaded to this case (a photo of the signed paper form, or the party's drawn signature or
fingerprint confirmation captured on the officer's phone).
"""

from __future__ import annotations

from typing import Any

from backend.cases.lifecycle import case_state
from backend.cases.stages import case_facts
from backend.errors import Conflict, Invalid, NotFound
from backend.evidence.tables import EvidenceMedia
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger

KIND = "service.consent"
PARTY_ROLES = ("party", "recipient")
SIGNED_METHODS = ("drawn", "fingerprint")
# Evidence of a signature is the signature's own media; a form photo may also be a scan.
EVIDENCE_KINDS = ("media.photo", "media.document", "media.signature", "media.fingerprint")


async def _check_upload(blobs: Any, case_id: str, sha: str) -> None:
    """The blob is in the store and was finalised into this case (one answer for absent and foreign)."""
    held = await EvidenceMedia.exists().where(
        (EvidenceMedia.sha256 == sha)
        & (EvidenceMedia.case_id == case_id)
        & EvidenceMedia.kind.is_in(list(EVIDENCE_KINDS))
    )
    if not held or not await blobs.exists(sha):
        raise NotFound(
            f"确认书证据未上传到本案 / No upload {sha[:12]}… on this case", code="blob_not_found"
        )


def _party_signatures(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s
        for s in payload.get("signatures") or []
        if isinstance(s, dict)
        and s.get("role") in PARTY_ROLES
        and s.get("method") in SIGNED_METHODS
        and isinstance(s.get("blob"), str)
    ]


async def record_consent(
    ledger: Ledger,
    blobs: Any,
    *,
    case_id: str,
    actor: str | None,
    client_id: str,
    payload: dict[str, Any],
    claimed: dict[str, Any] | None = None,
    device: str | None = None,
) -> Entry:
    """Append `service.consent` after checking who consented, to what, and the signed evidence."""
    from backend.service.links import _entry_for_client

    resend = await _entry_for_client(ledger, client_id)
    if resend is not None:
        if resend.case_id != case_id or resend.kind != KIND:
            raise Conflict("client_id already used for a different entry", "client_id_reused")
        return resend
    state = await case_state(case_id)
    entries = [e.body for e in await ledger.whole_timeline(case_id)]
    parties = case_facts(entries).get("parties") or state.get("parties") or []
    names = {p.get("name") for p in parties if isinstance(p, dict)}
    recipient = str(payload.get("recipient") or "").strip()
    if recipient not in names:
        raise Invalid(
            "受送达人须为本案当事人 / The recipient must be a party of this case",
            code="not_a_party",
        )
    if not payload.get("channels"):
        raise Invalid("请选择同意的送达方式 / Choose the agreed channel", code="no_channel")
    if not str(payload.get("contact") or "").strip():
        raise Invalid(
            "请填写当事人确认的电子送达地址 / The agreed phone or e-mail is required",
            code="no_contact",
        )
    evidence = [s["blob"] for s in _party_signatures(payload)]
    if payload.get("form_blob"):
        evidence.insert(0, payload["form_blob"])
    if not evidence:
        raise Invalid(
            "需要当事人签名、指印确认或已签署确认书的照片 / The party's signature, fingerprint "
            "confirmation or a photo of the signed form is required",
            code="no_consent_evidence",
        )
    for sha in dict.fromkeys(evidence):
        await _check_upload(blobs, case_id, sha)
    return await ledger.append(
        Draft(
            case_id=case_id,
            kind=KIND,
            client_id=client_id,
            payload=payload,
            actor=actor,
            device=device,
            claimed=claimed,
            blobs=tuple(dict.fromkeys(evidence)),
        )
    )
