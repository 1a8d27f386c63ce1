"""The access log: every view, media download, copy and export is an entry on the case timeline."""

from __future__ import annotations

import hashlib
import weakref
from datetime import UTC, datetime
from typing import Any

from backend.errors import Conflict
from backend.identity.access import Principal
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger

# One access entry per person, case, action and object per window: paging through a timeline
# (or re-syncing it) must not append an entry per page, or the timeline would never end.
ACCESS_WINDOW_S = 600

# What this process already logged in the current window, per ledger: logging it again would be
# an idempotent resend (same client id, same entry) that still waited for a group commit, on every
# timeline read. Key -> (payload, entry); the window number says when to start afresh.
_LOGGED: weakref.WeakKeyDictionary[Ledger, tuple[int, dict[str, tuple[dict, Entry]]]] = (
    weakref.WeakKeyDictionary()
)
_LOGGED_LIMIT = 100_000


async def log_access(
    ledger: Ledger,
    principal: Principal,
    case_id: str,
    action: str,
    what: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    permission: str | None = None,
    now: datetime | None = None,
    refused: str | None = None,
) -> Entry | None:
    """Append `access.viewed` (who, what, from where); when is the entry's received_at.

    `refused` names why nothing was shown: attempts on what one may not see are logged too.
    """
    now = now or datetime.now(UTC)
    window = int(now.timestamp()) // ACCESS_WINDOW_S
    key = f"{principal.staff_id}|{case_id}|{action}|{what}|{window}"
    if refused:  # a refusal must not stand in for a later view in the same window, nor hide one
        key += f"|refused:{refused}"
    payload: dict[str, Any] = {
        "staff_id": principal.staff_id,
        "action": action,
        "ip": (ip or None) and ip[:64],
        "user_agent": (user_agent or None) and user_agent[:300],
    }
    if what:
        payload["what"] = what[:200]
    if permission:
        payload["permission"] = permission
    if refused:
        payload["refused"] = refused
    held = _LOGGED.get(ledger)
    if held is None or held[0] != window or len(held[1]) >= _LOGGED_LIMIT:
        held = _LOGGED[ledger] = (window, {})
    known = held[1].get(key)
    if known is not None:  # the ledger would answer as it did (same entry), or refuse (Conflict)
        return known[1] if known[0] == payload else None
    try:
        entry = await ledger.append(
            Draft(
                case_id,
                "access.viewed",
                "access:" + hashlib.sha256(key.encode()).hexdigest()[:48],
                payload,
                actor=principal.staff_id,
            )
        )
    except Conflict:  # already logged in this window (from another address or browser)
        return None
    if entry.payload == payload:
        held[1][key] = (payload, entry)
    return entry


async def timeline_as_seen(
    ledger: Ledger,
    principal: Any,
    case_id: str,
    entries: list[Entry],
    ip: str | None,
    user_agent: str | None,
) -> list[dict[str, Any]]:
    """A timeline page as the caller may see it (confidential entries redacted), logged as a view."""
    from backend.identity.confidentiality import visible

    if not isinstance(principal, Principal):  # routes reach here only through the guard
        return [e.to_json() for e in entries]
    shown = [visible(e.to_json(), principal) for e in entries]
    await log_access(ledger, principal, case_id, "timeline", None, ip, user_agent)
    return shown
