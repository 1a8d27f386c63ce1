"""Secret, business-secret and privacy records are shown only to staff cleared for them.

A redacted entry keeps its hash, place in the chain and kind, so the chain still reads whole.
"""

from __future__ import annotations

from typing import Any

from backend.identity.access import Principal

# The same three as staff clearances and the `confidentiality` enum of record.* / media.* v2 schemas.
LEVELS = frozenset({"secret", "business_secret", "privacy"})
KEPT = ("hash", "log_index", "case_id", "seq", "prev_hash", "kind", "kind_version", "client_id",
        "actor", "received_at", "v")  # fmt: skip


def level_of(entry: dict[str, Any]) -> str | None:
    level = (entry.get("payload") or {}).get("confidentiality")
    return level if level in LEVELS else None


def may_see(entry: dict[str, Any], principal: Principal) -> bool:
    """Unflagged, or the caller is cleared for its level, or wrote it themselves."""
    level = level_of(entry)
    return (
        level is None or level in principal.clearances or entry.get("actor") == principal.staff_id
    )


def visible(entry: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """The entry as this caller may see it: whole, or a stub without payload, media or place."""
    if may_see(entry, principal):
        return entry
    level = level_of(entry)
    stub = {k: entry.get(k) for k in KEPT}
    stub.update(
        {
            "device": None,
            "claimed": None,
            "payload": {"confidentiality": level, "redacted": True},
            "blobs": [],
            "signatures": [],
            "corrects": None,
        }
    )
    return stub
