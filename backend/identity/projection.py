"""Identity's projection: case membership kept current from the ledger and rebuildable from it."""

from __future__ import annotations

from backend.identity.members import apply_membership
from backend.identity.tables import CaseMember
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.projections import catch_up, follow, rebuild

NAME = "identity.case_members"
KINDS = frozenset({"case.member_added", "case.member_removed"})


async def apply(entry: Entry) -> None:
    if entry.kind in KINDS:
        await apply_membership(entry)


async def register(ledger: Ledger) -> None:
    """Catch up with the log, then follow every committed batch."""
    await catch_up(ledger, NAME, apply)
    follow(ledger, NAME, apply, lambda entry: entry.kind in KINDS)


async def rebuild_all(ledger: Ledger) -> int:
    return await rebuild(ledger, NAME, apply, CaseMember)


# Names from the identity issue's contract.
register_projections = register
rebuild_members = rebuild_all
