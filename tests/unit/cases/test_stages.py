"""Where a case stands and what it still needs, projected from its entries."""

from __future__ import annotations

from backend.cases.stages import current_stage, next_steps
from tests.unit.cases.timelines import Timeline


def test_a_new_ex_officio_case_starts_by_asking_for_the_case_opening_approval(packs):
    t = Timeline("mingshan-emergency")
    assert current_stage(t.entries) == "start"
    assert next_steps(packs["mingshan-emergency"], "penalty", "general", t.entries) == [
        "record.case_opening_approval"
    ]


def test_after_the_inquiry_the_case_is_investigating_and_needs_the_rights_notice(packs):
    t = Timeline("pingluo-transport")
    t.record("record.case_opening_approval")
    t.record("record.inquiry")
    assert current_stage(t.entries) == "investigation"
    assert next_steps(packs["pingluo-transport"], "penalty", "general", t.entries) == [
        "record.rights_notice"
    ]


def test_service_can_be_any_of_the_five_ways_or_electronic_service_by_link(packs):
    t = Timeline("zhengxiang-hrss")
    for kind in (
        "record.case_opening_approval",
        "record.inquiry",
        "record.rights_notice",
        "record.handler_proposal",
        "record.head_approval",
        "record.decision",
    ):
        t.record(kind)
    assert current_stage(t.entries) == "review_decision"
    assert next_steps(packs["zhengxiang-hrss"], "penalty", "general", t.entries) == [
        "record.service_direct",
        "record.service_left_at_residence",
        "record.service_entrusted",
        "record.service_postal",
        "record.service_public_notice",
        "service.opened",
    ]


def test_an_explicit_stage_entry_moves_the_case(packs):
    t = Timeline("hebei-hrss")
    t.add("case.stage", {"stage": "execution"})
    assert current_stage(t.entries) == "execution"


def test_a_complaint_not_taken_up_only_needs_the_reply_and_the_archive(packs):
    t = Timeline("mingshan-emergency", start_path="complaint")
    t.add(
        "record.complaint_registration",
        {
            "content": "某企业违规动火",
            "received_at": "2025-03-03T09:00:00+08:00",
            "recorder": "值班员",
        },
    )
    t.add(
        "record.complaint_handling",
        {"decision": "not_open", "reason": "不属于本机关职权", "reply_method": "phone"},
    )
    assert next_steps(packs["mingshan-emergency"], "penalty", "general", t.entries) == [
        "record.archive"
    ]


def test_a_second_opening_in_an_old_log_does_not_change_what_the_case_is(packs):
    from backend.cases.stages import case_facts

    t = Timeline("zhengxiang-hrss")
    t.add(
        "case.opened",
        {
            "title": "冒名立案",
            "agency_id": "pingluo-transport",
            "enforcement_kind": "inspection",
            "procedure": "simplified",
            "start_path": "complaint",
            "parties": [],
        },
    )
    facts = case_facts(t.entries)
    assert (facts["agency_id"], facts["procedure"], facts["start_path"]) == (
        "zhengxiang-hrss",
        "general",
        "ex_officio",
    )
