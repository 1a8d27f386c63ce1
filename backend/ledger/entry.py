"""Ledger entries: the draft a client sends, the stored entry, and its canonical hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.ledger.canonical_json import canonical
from backend.moments import parse_iso

ENTRY_FORMAT = 1


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def hash_body(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass(frozen=True)
class Draft:
    """What a caller asks the ledger to append; the ledger adds seq, prev_hash and received_at."""

    case_id: str
    kind: str
    client_id: str
    payload: dict[str, Any]
    actor: str | None = None
    device: str | None = None
    claimed: dict[str, Any] | None = None
    blobs: tuple[str, ...] = ()
    signatures: tuple[dict[str, Any], ...] = field(default=())
    corrects: dict[str, str] | None = None

    def body(
        self, seq: int, prev_hash: str | None, kind_version: int, received_at: datetime
    ) -> dict:
        return {
            "v": ENTRY_FORMAT,
            "case_id": self.case_id,
            "seq": seq,
            "prev_hash": prev_hash,
            "kind": self.kind,
            "kind_version": kind_version,
            "client_id": self.client_id,
            "actor": self.actor,
            "device": self.device,
            "claimed": self.claimed,
            "received_at": utc_iso(received_at),
            "payload": self.payload,
            "blobs": list(self.blobs),
            "signatures": list(self.signatures),
            "corrects": self.corrects,
        }

    def same_request(self, body: dict[str, Any]) -> bool:
        """Whether a stored body answers this draft (an idempotent resend)."""
        return (
            body["case_id"] == self.case_id
            and body["kind"] == self.kind
            and canonical(body["payload"]) == canonical(self.payload)
            and body["blobs"] == list(self.blobs)
        )


@dataclass(frozen=True)
class Entry:
    """A stored, hashed entry."""

    log_index: int
    hash: str
    body: dict[str, Any]
    # The log's signed promise (statements.sign_promise), on entries answered by an append.
    promise: str | None = field(default=None, compare=False)

    @property
    def case_id(self) -> str:
        return self.body["case_id"]

    @property
    def seq(self) -> int:
        return self.body["seq"]

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def payload(self) -> dict[str, Any]:
        return self.body["payload"]

    @property
    def received_at(self) -> datetime:
        return parse_iso(self.body["received_at"])

    def to_json(self) -> dict[str, Any]:
        shown = {"hash": self.hash, "log_index": self.log_index, **self.body}
        if self.promise is not None:
            shown["promise"] = self.promise
        return shown

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Entry:
        return cls(log_index=row["log_index"], hash=row["hash"], body=json.loads(row["body"]))
