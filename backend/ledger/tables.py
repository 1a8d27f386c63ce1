"""Ledger tables: timeline entries and signed checkpoints, both append-only."""

from __future__ import annotations

from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class LedgerEntry(Table, tablename="ledger_entry"):
    """One immutable fact on a timeline; `body` holds the exact canonical bytes that were hashed."""

    log_index = BigInt(unique=True)
    case_id = Varchar(length=120, index=True)
    seq = Integer()
    hash = Varchar(length=64, unique=True)
    prev_hash = Varchar(length=64, null=True)
    kind = Varchar(length=80, index=True)
    client_id = Varchar(length=120, unique=True)
    received_at = Timestamptz()
    body = Text()


class LedgerCheckpoint(Table, tablename="ledger_checkpoint"):
    """A signed statement of the global log's size and root (C2SP signed note)."""

    tree_size = BigInt(unique=True)
    root = Varchar(length=64)
    note = Text()
    created_at = Timestamptz()
    tsa_token = Text(null=True)


class ProjectionCursor(Table, tablename="projection_cursor"):
    """The last log index each projection has applied, so a restart catches up."""

    name = Varchar(length=80, unique=True)
    log_index = BigInt(default=-1)
