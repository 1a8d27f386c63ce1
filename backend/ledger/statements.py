"""Signed statements by the log key besides checkpoints: entry promises and case heads.

Both are C2SP signed notes whose text is a type line and one line of RFC 8785 JSON, so they
verify with the same code and key as checkpoints, and a reader can tell them apart from a
checkpoint (whose first line is the origin, never one of these type lines).

- A promise (Rekor's signed entry timestamp) is answered for every append: "the log took this
  entry, with this hash, at this index, at this time". A client that keeps it can later prove an
  entry deleted or rewritten, even one appended after the last checkpoint.
- A case head says how long a case was and what its last entry was when a bundle was made, so a
  bundle with its last entries dropped, or relabelled as another case, does not verify.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from backend.ledger.canonical_json import canonical
from backend.ledger.checkpoint import CheckpointError, CheckpointSigner, open_note, parse_vkey
from backend.ledger.entry import Entry

PROMISE_TYPE = "casetrail-promise/1"
HEAD_TYPE = "casetrail-case-head/1"


@dataclass(frozen=True)
class Promise:
    log: str
    log_index: int
    hash: str
    received_at: str
    note: str


@dataclass(frozen=True)
class CaseHead:
    log: str
    case_id: str
    entries: int
    last_hash: str
    tree_size: int
    withheld: list[str]
    sm3_digests: str  # SM3 of the bundle's sm3.json, so those digests are signed too
    note: str


def _text(kind: str, fields: dict[str, Any]) -> str:
    return f"{kind}\n{canonical(fields).decode()}\n"


def _promise_text(fields: dict[str, Any]) -> str:
    # Strings and integers only: json.dumps with sorted keys and no spaces is byte-for-byte RFC 8785
    # here, at a fraction of its cost on the path of every append.
    return f"{PROMISE_TYPE}\n{json.dumps(fields, ensure_ascii=False, separators=(',', ':'), sort_keys=True)}\n"


def _read(note: str, vkey: str, kind: str) -> dict[str, Any]:
    text = open_note(note, vkey)
    lines = text.split("\n")
    if len(lines) != 3 or lines[0] != kind or lines[2] != "":
        raise CheckpointError(f"not a {kind} statement")
    try:
        fields = json.loads(lines[1])
    except ValueError as exc:
        raise CheckpointError(f"{kind} statement is not JSON") from exc
    if not isinstance(fields, dict) or fields.get("log") != parse_vkey(vkey)[0]:
        raise CheckpointError(f"{kind} statement names another log than its signer")
    return fields


def sign_promise(signer: CheckpointSigner, entry: Entry) -> str:
    """The signed entry timestamp for `entry` (deterministic: a resend gets the same promise)."""
    return signer.sign_text(
        _promise_text(
            {
                "log": signer.name,
                "index": entry.log_index,
                "hash": entry.hash,
                "received_at": entry.body["received_at"],
            }
        )
    )


def sign_promises(signer: CheckpointSigner, entries: list[Entry]) -> list[Entry]:
    """The entries with their promises: one call for a committed batch, so the appender can make
    them all on its signing thread (OpenSSL signs without the GIL) in one hop."""
    return [replace(entry, promise=sign_promise(signer, entry)) for entry in entries]


def read_promise(note: str, vkey: str) -> Promise:
    """Check a promise's signature by `vkey` and return what it promises."""
    fields = _read(note, vkey, PROMISE_TYPE)
    index, entry_hash, received = fields.get("index"), fields.get("hash"), fields.get("received_at")
    if not (isinstance(index, int) and index >= 0 and isinstance(entry_hash, str)):
        raise CheckpointError("promise lacks an index or an entry hash")
    return Promise(fields["log"], index, entry_hash, str(received), note)


def sign_case_head(
    signer: CheckpointSigner,
    case_id: str,
    entries: int,
    last_hash: str,
    tree_size: int,
    withheld: list[str],
    sm3_digests: str = "",
) -> str:
    return signer.sign_text(
        _text(
            HEAD_TYPE,
            {
                "log": signer.name,
                "case_id": case_id,
                "entries": entries,
                "last_hash": last_hash,
                "tree_size": tree_size,
                "withheld": sorted(withheld),
                "sm3_digests": sm3_digests,
            },
        )
    )


def read_case_head(note: str, vkey: str) -> CaseHead:
    fields = _read(note, vkey, HEAD_TYPE)
    case_id, entries = fields.get("case_id"), fields.get("entries")
    last_hash, tree_size = fields.get("last_hash"), fields.get("tree_size")
    withheld = fields.get("withheld")
    if not (
        isinstance(withheld, list)
        and all(isinstance(w, str) for w in withheld)
        and isinstance(case_id, str)
        and isinstance(entries, int)
        and isinstance(last_hash, str)
        and isinstance(tree_size, int)
    ):
        raise CheckpointError("case head lacks its case, length, last hash or tree size")
    sm3_digests = str(fields.get("sm3_digests", ""))
    return CaseHead(
        fields["log"], case_id, entries, last_hash, tree_size, withheld, sm3_digests, note
    )
