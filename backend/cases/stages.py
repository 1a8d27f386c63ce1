"""Stage projection: where a case stands and which records it still needs, computed from entries.

A record kind's stage is declared once, as `x-stage` in its schema file, so the PWA and this
projection agree; kinds with no stage (approvals, notes, waivers) never move a case.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from backend.cases.rules import KINDS_DIR, RulePack
from backend.ledger.kinds import schema_files

STAGES = ("start", "investigation", "review_decision", "service", "execution", "archive")


@cache
def kind_stages(directory: Path = KINDS_DIR) -> dict[str, str]:
    """Record kind -> stage, from the `x-stage` of each kind schema."""
    stages: dict[str, str] = {}
    for path in schema_files(directory):  # the newest version of each kind has the last word
        stage = json.loads(path.read_text(encoding="utf-8")).get("x-stage")
        if stage:
            stages[path.name.rsplit(".v", 1)[0]] = stage
    return stages


def current_stage(entries: Iterable[dict[str, Any]]) -> str:
    """The furthest stage reached, by records present or an explicit `case.stage` entry."""
    by_kind = kind_stages()
    furthest = 0
    for entry in entries:
        kind = entry.get("kind", "")
        stage = entry.get("payload", {}).get("stage") if kind == "case.stage" else by_kind.get(kind)
        if stage in STAGES:
            furthest = max(furthest, STAGES.index(stage))
    return STAGES[furthest]


def case_facts(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The first `case.opened` payload (enforcement kind, procedure, start path, major ...).

    A case is opened once and belongs to whoever opened it; the ledger refuses a second opening,
    and should an old log hold one it must not change what the case is.
    """
    for entry in entries:
        if entry.get("kind") == "case.opened":
            return dict(entry.get("payload") or {})
    return {}


def not_opened(entries: Iterable[dict[str, Any]]) -> bool:
    """True when a complaint was not taken up or an application was refused: the matter ends at start."""
    ended = False
    for entry in entries:
        payload = entry.get("payload") or {}
        if entry.get("kind") == "record.complaint_handling":
            ended = payload.get("decision") == "not_open"
        elif entry.get("kind") == "record.application_decision":
            ended = payload.get("accepted") is False
    return ended


def required_steps(
    pack: RulePack, case_kind: str, procedure: str, start_path: str | None, opened: bool = True
) -> list[tuple[str, dict[str, Any]]]:
    """The pack's steps for this kind, procedure and start path, in workflow order."""
    flow = pack.workflow(case_kind, procedure)
    if flow is None:
        return []
    steps = []
    for step_id in flow["steps"]:
        step = pack.steps[step_id]
        paths = step.get("start_paths")
        if paths is not None and start_path not in paths:
            continue
        if not opened and not step.get("also_when_not_opened"):
            continue
        steps.append((step_id, step))
    return steps


def next_steps(
    pack: RulePack, case_kind: str, procedure: str, entries: list[dict[str, Any]]
) -> list[str]:
    """Record kinds still needed for the current stage (or, once it is complete, the next one).

    A step that any of several kinds satisfies (e.g. the five ways of service) lists them all.
    """
    present = {e.get("kind") for e in entries}
    facts = case_facts(entries)
    steps = required_steps(
        pack, case_kind, procedure, facts.get("start_path"), opened=not not_opened(entries)
    )
    from_stage = STAGES.index(current_stage(entries))
    for stage in STAGES[from_stage:]:
        needed: list[str] = []
        for _, step in steps:
            if step["stage"] == stage and not present.intersection(step["any_of"]):
                needed.extend(k for k in step["any_of"] if k not in needed)
        if needed:
            return needed
    return []
