"""Opening cases and reading them back with their compliance, straight from the timeline."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from backend.cases.compliance import PROBLEM_STATUSES, Requirement, evaluate
from backend.cases.rules import RulePack, get_pack
from backend.cases.stages import case_facts, next_steps, not_opened
from backend.cases.tables import CaseState
from backend.errors import Invalid, NotFound
from backend.ledger.entry import Draft, utc_iso
from backend.ledger.ledger import Ledger

CASE_NAMESPACE = uuid.UUID("6f1d9f0e-8a51-4b8e-9a57-1c2d6c0a7e11")


# Agency -> the pack its record names. The binding is written once, when the agency is created, and
# never changed, so it is read once per process instead of on every request that applies rules.
_PACK_OF_AGENCY: dict[str, str] = {}


async def pack_for(agency_id: str) -> RulePack:
    """The rule pack an agency runs on (the agency record names it; seed agencies use their pack id)."""
    pack_id = _PACK_OF_AGENCY.get(agency_id)
    if pack_id is None:
        from backend.identity.tables import Agency

        row = await Agency.select(Agency.rule_pack).where(Agency.agency_id == agency_id).first()
        pack_id = (row and row["rule_pack"]) or agency_id
        if row is not None:
            _PACK_OF_AGENCY[agency_id] = pack_id
    try:
        return get_pack(pack_id)
    except (KeyError, FileNotFoundError) as missing:
        raise Invalid(
            f"agency {agency_id} has no rule pack {pack_id}", code="no_rule_pack"
        ) from missing


def case_id_for(client_id: str, case_id: str | None) -> str:
    """A client-made UUID, or one derived from the request's client_id so resends land on one case."""
    if case_id is not None:
        try:
            return str(uuid.UUID(case_id))
        except ValueError as bad:
            raise Invalid("case_id must be a UUID", code="bad_case_id") from bad
    return str(uuid.uuid5(CASE_NAMESPACE, client_id))


async def open_case(
    ledger: Ledger,
    *,
    agency_id: str,
    actor: str,
    client_id: str,
    payload: dict[str, Any],
    officers: list[str],
    case_id: str | None = None,
    claimed: dict[str, Any] | None = None,
    device: str | None = None,
) -> str:
    """Append `case.opened` and the officers' membership; safe to resend."""
    pack = await pack_for(agency_id)
    if payload["enforcement_kind"] not in pack.enforcement_kinds:
        raise Invalid(
            f"{pack.agency_name} does not handle {payload['enforcement_kind']} cases",
            code="kind_not_in_pack",
        )
    case_id = case_id_for(client_id, case_id)
    opened = Draft(
        case_id=case_id,
        kind="case.opened",
        client_id=client_id,
        payload={**payload, "agency_id": agency_id},
        actor=actor,
        device=device,
        claimed=claimed,
    )
    team = [
        Draft(
            case_id=case_id,
            kind="case.member_added",
            client_id=f"{client_id}:member:{staff_id}",
            payload={"staff_id": staff_id, "role": "handler" if staff_id == actor else "officer"},
            actor=actor,
        )
        for staff_id in dict.fromkeys([actor, *officers])
    ]
    # One transaction: nobody may see the case before its team can open it.
    await ledger.append_all([opened, *team])
    return case_id


def requirement_json(req: Requirement) -> dict[str, Any]:
    data = asdict(req)
    data["due_at"] = utc_iso(req.due_at) if req.due_at else None
    data["notes"] = list(req.notes)
    return data


async def case_state(case_id: str) -> dict[str, Any]:
    row = await CaseState.select().where(CaseState.case_id == case_id).first()
    if row is None:
        raise NotFound("no such case", code="case_not_found")
    return state_json(row)


def state_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_id": row["case_id"],
        "agency_id": row["agency_id"],
        "number": row["number"],
        "title": row["title"],
        "stage": row["stage"],
        "status": row["status"],
        "enforcement_kind": row["enforcement_kind"],
        "procedure": row["procedure"],
        "start_path": row["start_path"],
        "parties": json.loads(row["parties"] or "[]"),
        "opened_at": utc_iso(row["opened_at"]),
        "updated_at": utc_iso(row["updated_at"]),
        "last_seq": row["last_seq"],
    }


def progress(pack: RulePack, entries: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """What the rules say of one case: compliance, the records it needs next, and its open problems."""
    compliance = evaluate(pack, entries, now)
    facts = case_facts(entries)
    open_problems = [r for r in compliance if r.status in PROBLEM_STATUSES]
    return {
        "compliance": [requirement_json(r) for r in compliance],
        "next_steps": next_steps(
            pack, facts.get("enforcement_kind", ""), facts.get("procedure", "general"), entries
        ),
        "problems": len(open_problems),
        "open_problems": [problem_json(r) for r in open_problems],
        "closed": not_opened(entries),
    }


def problem_json(req: Requirement) -> dict[str, Any]:
    """The few fields a list needs to show a problem (the full requirement is on the case read)."""
    return {
        "id": req.id,
        "status": req.status,
        "message_zh": req.message_zh,
        "message_en": req.message_en,
        "due_at": utc_iso(req.due_at) if req.due_at else None,
    }


async def case_view(ledger: Ledger, case_id: str, now: datetime | None = None) -> dict[str, Any]:
    """The projected state plus what the agency's rules say is met, missing or late."""
    state = await case_state(case_id)
    entries = [{"hash": e.hash, **e.body} for e in await ledger.whole_timeline(case_id)]
    pack = await pack_for(state["agency_id"])
    found = progress(pack, entries, now or datetime.now(UTC))
    if found.pop("closed"):
        state["status"] = "closed"
    return {**state, **found}


async def with_next_steps(
    ledger: Ledger, states: list[dict[str, Any]], now: datetime | None = None
) -> list[dict[str, Any]]:
    """Case list rows with each case's next steps and open problems, read in one timeline query."""
    timelines = await ledger.whole_timelines([s["case_id"] for s in states])
    packs: dict[str, RulePack] = {}
    now = now or datetime.now(UTC)
    out = []
    for state in states:
        agency = state["agency_id"]
        if agency not in packs:
            packs[agency] = await pack_for(agency)
        entries = [{"hash": e.hash, **e.body} for e in timelines[state["case_id"]]]
        found = progress(packs[agency], entries, now)
        # The full compliance list stays with the single-case read; a list row stays small.
        del found["compliance"]
        if found.pop("closed"):
            state = {**state, "status": "closed"}
        out.append({**state, **found})
    return out
