"""Case timelines built the way the ledger would hand them to the compliance engine."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing


def iso(moment: datetime) -> str:
    return moment.isoformat()


def everyone_signs() -> list[dict[str, Any]]:
    return [
        {"role": "officer", "name": "张执法", "method": "drawn"},
        {"role": "officer", "name": "李执法", "method": "drawn"},
        {"role": "party", "name": "王某", "method": "fingerprint"},
        {"role": "witness", "name": "赵见证", "method": "drawn"},
        {"role": "participant", "name": "钱参加", "method": "drawn"},
        {"role": "recipient", "name": "王某", "method": "drawn"},
    ]


class Timeline:
    """A case's entries in seq order, each with the `hash` the caller adds."""

    def __init__(
        self,
        agency: str,
        kind: str = "penalty",
        procedure: str = "general",
        start_path: str = "ex_officio",
        major: bool = False,
        at: datetime = T0,
    ) -> None:
        self.entries: list[dict[str, Any]] = []
        self.clock = at
        self.add(
            "case.opened",
            {
                "title": "某运输公司超限运输案",
                "agency_id": agency,
                "enforcement_kind": kind,
                "procedure": procedure,
                "start_path": start_path,
                "parties": [{"name": "王某", "kind": "person"}],
                "major": major,
            },
        )

    def add(
        self,
        kind: str,
        payload: dict[str, Any],
        at: datetime | None = None,
        received: datetime | None = None,
        corrects: str | None = None,
        actor: str | None = None,
    ) -> str:
        at = at or self.clock
        self.clock = at + timedelta(hours=1)
        digest = hashlib.sha256(f"{len(self.entries)}:{kind}:{at}".encode()).hexdigest()
        self.entries.append(
            {
                "v": 1,
                "case_id": "case-1",
                "seq": len(self.entries),
                "kind": kind,
                "kind_version": 1,
                "actor": actor,
                "payload": payload,
                "claimed": {"time": iso(at), "clock_offset_ms": 0, "geo": None},
                "received_at": iso(received or at + timedelta(minutes=5)),
                "blobs": [],
                "signatures": [],
                "corrects": {"hash": corrects, "reason": "笔误"} if corrects else None,
                "hash": digest,
            }
        )
        return digest

    def member(self, staff_id: str, role: str = "officer") -> str:
        return self.add("case.member_added", {"staff_id": staff_id, "role": role})

    def passkey(
        self, signs: str, meaning: str, actor: str, at: datetime | None = None, **extra: Any
    ) -> str:
        """A verified `signature.passkey` entry, as the signatures route appends it."""
        at = at or self.clock
        payload = {"signs": signs, "meaning": meaning, "credential_id": "cred", **extra}
        return self.add("signature.passkey", payload, at=at, received=at, actor=actor)

    def record(self, kind: str, payload: dict[str, Any] | None = None, **kw: Any) -> str:
        payload = {"signatures": everyone_signs(), "pages": 1, **(payload or {})}
        return self.add(kind, payload, **kw)

    def video(
        self,
        for_entry: str,
        kind: str = "media.video",
        delay: timedelta = timedelta(hours=1),
        **payload: Any,
    ) -> str:
        captured = self.clock
        return self.add(
            kind, {"for_entry": for_entry, **payload}, at=captured, received=captured + delay
        )

    def filmed(self, kind: str, payload: dict[str, Any] | None = None) -> str:
        """A record with a video of it, uploaded an hour later."""
        h = self.record(kind, payload)
        self.video(h)
        return h


def complete_penalty_case(agency: str) -> Timeline:
    """Ex officio penalty, major, every record signed and filmed, archived three days after payment."""
    t = Timeline(agency, major=True)
    for kind in (
        "record.case_opening_approval",
        "record.inquiry",
        "record.onsite_inspection",
        "record.rights_notice",
        "record.statement_defence",
        "record.handler_proposal",
        "record.legal_review",
        "record.collective_discussion",
        "record.head_approval",
        "record.decision",
        "record.service_direct",
        "record.performance",
    ):
        t.filmed(kind)
    t.record(
        "record.archive",
        {"dossier_number": "2025-001", "archivist": "档案员"},
        at=t.clock + timedelta(days=3),
    )
    return t
