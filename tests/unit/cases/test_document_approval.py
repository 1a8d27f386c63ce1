"""Documents made in the app: each pack says which a stage offers, and approving one approves its record."""

from __future__ import annotations

import pytest

from backend.cases.compliance import evaluate
from backend.cases.documents import TEMPLATES
from tests.unit.cases.timelines import Timeline, complete_penalty_case

HEAD = "staff-head"
AGENCIES = [
    "zhengxiang-hrss",
    "pingluo-transport",
    "mingshan-emergency",
    "hebei-hrss",
    "lingchuan-finance",
]


@pytest.mark.parametrize("agency", AGENCIES)
def test_every_pack_offers_the_documents_a_case_needs_each_with_its_own_title(packs, agency):
    offered = {d["document_kind"]: d for d in packs[agency].data["documents"]}
    assert set(offered) == set(TEMPLATES)
    assert offered["decision_letter"]["title_zh"] == "行政处罚决定书"
    assert offered["decision_letter"]["approval"] is True
    assert offered["service_receipt"]["stage"] == "service"
    assert offered["case_opening_approval"]["title_zh"] == "立案审批表"


def without_head_approval(agency: str) -> tuple[Timeline, str]:
    t = complete_penalty_case(agency)
    t.entries = [e for e in t.entries if e["kind"] != "record.head_approval"]
    decision = next(e for e in t.entries if e["kind"] == "record.decision")
    letter = t.add(
        "document.generated",
        {
            "document_kind": "decision_letter",
            "renders": decision["hash"],
            "number": "决〔2025〕1号",
        },
    )
    return t, letter


def head_step(packs, agency: str, t: Timeline):
    [step] = [
        r for r in evaluate(packs[agency], t.entries, t.clock) if r.id == "step:head_approval"
    ]
    return step


@pytest.mark.parametrize("agency", ["zhengxiang-hrss", "pingluo-transport"])
def test_the_head_approving_the_decision_letter_with_a_passkey_meets_the_head_approval_step(
    packs, agency
):
    t, letter = without_head_approval(agency)
    assert head_step(packs, agency, t).status != "met"

    sig = t.passkey(letter, "approve", HEAD)

    step = head_step(packs, agency, t)
    assert step.status == "met" and step.approval["by"] == HEAD
    assert step.approval["entry_hash"] == sig


def test_refusing_the_decision_letter_refuses_the_decision(packs):
    t, letter = without_head_approval("mingshan-emergency")
    t.passkey(letter, "refuse", HEAD, comment="事实不清")
    assert head_step(packs, "mingshan-emergency", t).status == "refused"
