"""Ledger tables: timeline entries and signed checkpoints, both append-only."""

from __future__ import annotations

from piccolo.columns import BigInt, Bytea, Integer, Text, Timestamptz, Varchar
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


class LedgerEntryDigest(Table, tablename="ledger_entry_digest"):
    """Which entries name which SHA-256 digest (a blob in `blobs`, a payload's `sha256` or
    `token_sha256`): written with the entries, so "who holds blob X" is an index look-up, not a
    scan of every body. Derived from the entries: a migration filled it for the earlier ones."""

    digest = Varchar(length=64)  # unique with log_index: the look-up index (migration 0005)
    log_index = BigInt()
    case_id = Varchar(length=120)
    kind = Varchar(length=80)


class LedgerCheckpoint(Table, tablename="ledger_checkpoint"):
    """A signed statement of the global log's size and root (C2SP signed note)."""

    tree_size = BigInt(unique=True)
    root = Varchar(length=64)
    note = Text()
    created_at = Timestamptz()
    tsa_token = Text(null=True)


class LedgerCosignature(Table, tablename="ledger_cosignature"):
    """A witness's cosignature of one of our checkpoints; `note` is the checkpoint with that
    cosignature line, so it verifies on its own even if the checkpoint row were lost."""

    tree_size = BigInt(index=True)
    witness = Varchar(length=200)
    note = Text()
    received_at = Timestamptz()


class WitnessedCheckpoint(Table, tablename="witnessed_checkpoint"):
    """As a witness for another log: each checkpoint we cosigned. The largest per origin is
    what the next one must extend; rows are never changed, so the witness cannot roll back."""

    origin = Varchar(length=200, index=True)
    tree_size = BigInt()
    root = Varchar(length=64)
    note = Text()
    cosigned_at = Timestamptz()


class BlobSm3(Table, tablename="blob_sm3"):
    """A blob's SM3 digest, computed after upload (derived: can always be computed again)."""

    sha256 = Varchar(length=64, unique=True)
    sm3 = Varchar(length=64)
    computed_at = Timestamptz()


class ProjectionCursor(Table, tablename="projection_cursor"):
    """The last log index each projection has applied, so a restart catches up."""

    name = Varchar(length=80, unique=True)
    log_index = BigInt(default=-1)


class LedgerTile(Table, tablename="ledger_tile"):
    """A full C2SP tlog-tiles tile of the global Merkle tree: 256 hashes of tree level 8·level.

    `root` is the hash those 256 make (one hash of the level above), kept so that start-up reads
    the unfinished upper tiles without hashing the tiles under them. Rows are never changed."""

    tile_level = Integer()
    tile_index = BigInt()
    hashes = Bytea()
    root = Bytea()
