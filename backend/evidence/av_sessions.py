"""Audio-visual recording sessions: start statement, segments, interruptions, end or written closure.

A session is a run of entries on a case (or `agency:<id>` for patrols) sharing a client-made
`session_id`: `av.session_started` (the spoken start statement), `av.segment` per recorded file,
`av.interrupted` with its reason, `av.resumed` naming the segment in which the reason is spoken,
and `av.ended`, or `av.closed_in_writing` when recording could not continue (an explanation
signed by two officers). The order is checked against the timeline; each step is idempotent on
its client id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.errors import Conflict, Invalid, NotFound
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger

SESSION_KINDS = (
    "av.session_started",
    "av.segment",
    "av.interrupted",
    "av.resumed",
    "av.ended",
    "av.closed_in_writing",
)


@dataclass
class Session:
    """A recording session as its entries tell it."""

    session_id: str
    case_id: str
    status: str = "none"  # none, recording, interrupted, ended, closed_in_writing
    started: dict[str, Any] | None = None
    segments: list[dict[str, Any]] = field(default_factory=list)
    interruptions: list[dict[str, Any]] = field(default_factory=list)
    ended: dict[str, Any] | None = None
    closure: dict[str, Any] | None = None
    entries: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "case_id": self.case_id,
            "status": self.status,
            "start_statement": self.started,
            "segments": self.segments,
            "interruptions": self.interruptions,
            "ended": self.ended,
            "closed_in_writing": self.closure,
            "entries": self.entries,
        }


def fold(case_id: str, session_id: str, entries: list[Entry]) -> Session:
    """The session's state from the case timeline (entries of other sessions are ignored)."""
    session = Session(session_id, case_id)
    for entry in entries:
        if entry.kind not in SESSION_KINDS or entry.payload.get("session_id") != session_id:
            continue
        p = {k: v for k, v in entry.payload.items() if k != "session_id"}
        session.entries.append(entry.hash)
        if entry.kind == "av.session_started":
            session.started, session.status = p, "recording"
        elif entry.kind == "av.segment":
            session.segments.append(p)
        elif entry.kind == "av.interrupted":
            session.interruptions.append({**p, "resumed": None})
            session.status = "interrupted"
        elif entry.kind == "av.resumed":
            if session.interruptions:
                session.interruptions[-1]["resumed"] = p
            session.status = "recording"
        elif entry.kind == "av.ended":
            session.ended, session.status = p, "ended"
        elif entry.kind == "av.closed_in_writing":
            session.closure, session.status = p, "closed_in_writing"
    return session


async def read_session(ledger: Ledger, case_id: str, session_id: str) -> Session:
    session = fold(case_id, session_id, await ledger.whole_timeline(case_id))
    if session.status == "none":
        raise NotFound("no such recording session", code="session_not_found")
    return session


# Which statuses each step may follow.
ALLOWED_FROM = {
    "av.session_started": {"none"},
    "av.segment": {"recording"},
    "av.interrupted": {"recording"},
    "av.resumed": {"interrupted"},
    "av.ended": {"recording"},
    "av.closed_in_writing": {"recording", "interrupted"},
}


async def record_step(
    ledger: Ledger,
    case_id: str,
    kind: str,
    client_id: str,
    payload: dict[str, Any],
    actor: str | None = None,
    device: str | None = None,
    claimed: dict[str, Any] | None = None,
) -> Entry:
    """Append one session step after checking it follows from the session's current state."""
    if kind not in ALLOWED_FROM:
        raise Invalid(f"not a recording-session step: {kind}", code="bad_session_step")
    session_id = payload.get("session_id")
    if not isinstance(session_id, str) or not session_id:
        raise Invalid("session_id is required", code="bad_session_step")
    ledger.kinds.validate(kind, payload)
    draft = Draft(case_id, kind, client_id, payload, actor, device, claimed)
    timeline = await ledger.whole_timeline(case_id)
    for entry in timeline:
        if entry.body["client_id"] == client_id:
            if entry.kind == kind and entry.payload.get("session_id") == session_id:
                return entry  # a resend of a step already recorded
            raise Conflict("client_id already used for a different entry", code="client_id_reused")
    session = fold(case_id, session_id, timeline)
    if session.status not in ALLOWED_FROM[kind]:
        raise Conflict(
            f"{kind} cannot follow a session that is {session.status}",
            code="session_out_of_order",
            detail={"status": session.status},
        )
    if kind == "av.segment":
        expected = len(session.segments)
        if payload["index"] != expected:
            raise Conflict(
                f"segment {payload['index']} given, {expected} expected",
                code="segment_out_of_order",
                detail={"expected": expected},
            )
        if session.interruptions and session.interruptions[-1]["resumed"] is not None:
            resumed = session.interruptions[-1]["resumed"]
            if resumed.get("spoken_reason_segment") == expected:
                payload = {**payload, "spoken_reason": True}
                draft = Draft(case_id, kind, client_id, payload, actor, device, claimed)
    if kind == "av.resumed":
        spoken = payload.get("spoken_reason_segment")
        if spoken is not None and spoken != len(session.segments):
            raise Invalid(
                "the spoken reason must be in the first segment after the interruption "
                f"(segment {len(session.segments)})",
                code="bad_spoken_reason_segment",
            )
    if kind == "av.closed_in_writing":
        signers = [s["staff_id"] for s in payload["signed_by"]]
        if len(set(signers)) < 2:
            raise Invalid(
                "a written closure is signed by two different officers",
                code="two_officers_required",
            )
    if kind == "av.ended":
        payload = {**payload, "segments": len(session.segments)}
        draft = Draft(case_id, kind, client_id, payload, actor, device, claimed)
    return await ledger.append(draft)
