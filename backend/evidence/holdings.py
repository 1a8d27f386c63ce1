"""Which blobs a case (or agency timeline) holds: the one answer appends, exports and retention use.

A timeline holds a blob when the blob reached it through a path that checked the bytes were the
caller's to give: a capture uploaded and finalised into it (`media.*`), a recorder file imported
into the agency timeline or linked from there to a case (`recording.*`) — both in the
`evidence_media` projection — or a file the server itself made for it (generated documents, the
notice's PDF, a party's drawn signature or attachments, consent evidence checked on the way in).
Naming a hash in an entry is not holding it: a hash is not a secret, and an entry that could name
any hash would let one agency pull another's originals into its own exports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backend.errors import Forbidden, Invalid
from backend.evidence.tables import EvidenceMedia
from backend.ledger import reads
from backend.ledger.kinds import KindRegistry, payload_blobs

# Server-made entries whose `blobs` were written by the server or checked against the case first.
SERVER_MADE_KINDS = (
    "document.generated",
    "notice.published",
    "party.confirmed",
    "party.statement",
    "service.consent",
)
_HEX = frozenset("0123456789abcdef")


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


async def blobs_held(case_id: str) -> set[str]:
    """Every blob the timeline `case_id` holds."""
    rows = await EvidenceMedia.select(EvidenceMedia.sha256).where(EvidenceMedia.case_id == case_id)
    held = {r["sha256"] for r in rows}
    for entry in await reads.of_kinds([case_id], SERVER_MADE_KINDS):
        held.update(entry.body.get("blobs") or [])
    return held


async def holders_of(sha256: str) -> set[str]:
    """Every timeline, in any agency, that holds the blob."""
    rows = await EvidenceMedia.select(EvidenceMedia.case_id).where(EvidenceMedia.sha256 == sha256)
    holders = {r["case_id"] for r in rows}
    for entry in await reads.naming(sha256, kinds=SERVER_MADE_KINDS):
        if sha256 in (entry.body.get("blobs") or []):
            holders.add(entry.case_id)
    return holders


async def check_blobs_held(case_id: str, hashes: Iterable[str]) -> None:
    """Refuse (403 `blob_not_in_case`) any hash the timeline does not hold; 400 for a malformed one.

    One answer for "never uploaded" and "uploaded elsewhere": which hashes exist is not the
    caller's to learn.
    """
    wanted = list(dict.fromkeys(hashes))
    bad = [h for h in wanted if not _is_sha256(h)]
    if bad:
        raise Invalid(
            "文件标识应为 SHA-256 / A blob is named by its SHA-256 (64 lowercase hex digits)",
            code="bad_blob_hash",
            detail={"blobs": bad[:20]},
        )
    if not wanted:
        return
    held = await blobs_held(case_id)
    missing = [h for h in wanted if h not in held]
    if missing:
        raise Forbidden(
            "只能引用已上传到本案的文件 / An entry may name only files uploaded to this case",
            code="blob_not_in_case",
            detail={"blobs": missing[:20]},
        )


def named_blobs(
    kinds: KindRegistry, kind: str, payload: Any, blobs: Iterable[str] = ()
) -> list[str]:
    """The hashes a client-made draft names: its `blobs` and its payload's photo fields."""
    return list(dict.fromkeys([*blobs, *payload_blobs(kind, kinds.latest(kind), payload)]))
