"""Import tokens for `casetrail import`: short-lived, single-purpose, kept on the ledger as a hash.

Identity's authentication middleware reads them (`IMPORT_TOKENS` is the bearer scheme the wiring
hands it): a token acts as its officer with the officer role only, on `TOKEN_PATHS` only.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from backend.errors import Invalid
from backend.identity.access import Principal
from backend.identity.authentication import BearerScheme
from backend.identity.staff import principal_of_row
from backend.identity.tables import Staff
from backend.ledger import reads
from backend.ledger.entry import Draft, utc_iso
from backend.ledger.ledger import Ledger
from backend.ledger.timelines import agency_timeline
from backend.moments import parse_iso
from backend.recordings.schemas import TOKEN_HOURS, TokenOut

TOKEN_KIND = "recording.import_token"
TOKEN_PREFIX = "ctimp_"
MAX_TOKEN_HOURS = 24
# What an import token may reach: the shared upload path and the recording routes, nothing else.
TOKEN_PATHS = ("/api/uploads", "/api/recordings", "/api/time")
# ... and, within them, not the making of tokens: a token never makes another.
TOKEN_NEVER_REACHES = ("/api/recordings/import-tokens",)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_import_token(
    ledger: Ledger,
    *,
    agency_id: str,
    staff_id: str,
    label: str | None = None,
    hours: int = TOKEN_HOURS,
) -> TokenOut:
    """A new single-purpose token for `casetrail import`, shown once; the ledger keeps its hash."""
    if not 1 <= hours <= MAX_TOKEN_HOURS:
        raise Invalid(f"an import token lasts 1 to {MAX_TOKEN_HOURS} hours", code="bad_token_hours")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = ledger.clock() + timedelta(hours=hours)
    entry = await ledger.append(
        Draft(
            case_id=agency_timeline(agency_id),
            kind=TOKEN_KIND,
            client_id=f"import-token:{uuid.uuid4()}",
            payload={
                "token_sha256": token_digest(token),
                "officer": staff_id,
                "scope": "recording.import",
                "expires_at": utc_iso(expires_at),
                "label": label,
            },
            actor=staff_id,
        )
    )
    return TokenOut(
        token=token, officer=staff_id, expires_at=utc_iso(expires_at), entry_hash=entry.hash
    )


async def import_token_holder(token: str, now: datetime | None = None) -> tuple[str, str] | None:
    """(agency_id, staff_id) of a valid, unexpired import token; None otherwise."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    digest = token_digest(token)
    found = await reads.naming(digest, kinds=[TOKEN_KIND])
    now = now or datetime.now(UTC)
    for entry in found:
        payload = entry.payload
        if not secrets.compare_digest(payload.get("token_sha256", ""), digest):
            continue
        if parse_iso(payload["expires_at"]) <= now:
            return None
        return entry.case_id.removeprefix("agency:"), payload["officer"]
    return None


def token_reaches(path: str) -> bool:
    """Whether a request path is inside an import token's scope."""

    def under(prefixes: tuple[str, ...]) -> bool:
        return any(path == p or path.startswith(p + "/") for p in prefixes)

    return under(TOKEN_PATHS) and not under(TOKEN_NEVER_REACHES)


async def token_principal(token: str, path: str) -> Principal | None:
    """The officer behind an import token, for a path in the token's scope; None otherwise."""
    if not token_reaches(path):
        return None
    holder = await import_token_holder(token)
    if holder is None:
        return None
    agency_id, staff_id = holder
    # Deactivated staff lose their tokens at once, like their sessions.
    row = await Staff.select().where(Staff.staff_id == staff_id).first()
    if row is None or not row["active"] or row["agency_id"] != agency_id:
        return None
    principal = principal_of_row(row)
    if "officer" not in principal.roles:
        return None
    return Principal(
        staff_id=principal.staff_id,
        agency_id=principal.agency_id,
        name=principal.name,
        roles=frozenset({"officer"}),
    )


IMPORT_TOKENS = BearerScheme(name="import_token", principal=token_principal)
