"""Approvals, refusals and deadlines count the way the agencies' articles say (issue 15)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.cases.compliance import Requirement, evaluate
from tests.unit.cases.timelines import T0, Timeline, complete_penalty_case

BEIJING = ZoneInfo("Asia/Shanghai")
HEAD, OFFICER_A, OFFICER_B, OUTSIDER = "staff-head", "staff-a", "staff-b", "staff-other-agency"


def by_prefix(reqs: list[Requirement], prefix: str) -> list[Requirement]:
    return [r for r in reqs if r.id.startswith(prefix)]


def article(req: Requirement) -> tuple[str, int]:
    return req.citation["file"], req.citation["article"]


def beijing(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=BEIJING)


# -- 1. an approval is one thing however it was given


def emergency_case(agency: str = "zhengxiang-hrss") -> tuple[Timeline, str]:
    t = Timeline(agency, start_path="emergency")
    start = t.add(
        "record.emergency_start", {"reason": "欠薪群体事件", "started_at": T0.isoformat()}
    )
    return t, start


def test_zhengxiang_12_emergency_start_approved_by_passkey_counts(packs):
    t, start = emergency_case()
    signed_at = T0 + timedelta(hours=3)
    sig = t.passkey(start, "approve", HEAD, at=signed_at)
    [req] = by_prefix(
        evaluate(packs["zhengxiang-hrss"], t.entries, T0 + timedelta(hours=30)),
        "emergency_approval:",
    )
    assert req.status == "met"
    assert article(req) == ("zhengxiang-hrss-2017.txt", 12)
    assert req.entry_hash == sig
    assert req.approval["by"] == HEAD and req.approval["how"] == "passkey"
    assert req.approval["at"] == "2025-03-03T04:00:00Z"
    assert "通行密钥签名" in req.message_zh and "2025-03-03 12:00" in req.message_zh


def test_zhengxiang_12_passkey_approval_after_30_hours_is_late(packs):
    t, start = emergency_case()
    t.passkey(start, "approve", HEAD, at=T0 + timedelta(hours=30))
    [req] = by_prefix(evaluate(packs["zhengxiang-hrss"], t.entries, t.clock), "emergency_approval:")
    assert req.status == "late" and req.late_by_s == 6 * 3600


def test_zhengxiang_12_an_officers_co_signature_is_not_an_approval(packs):
    t, start = emergency_case()
    t.passkey(start, "co_sign", OFFICER_A, at=T0 + timedelta(hours=1))
    [req] = by_prefix(
        evaluate(packs["zhengxiang-hrss"], t.entries, T0 + timedelta(hours=30)),
        "emergency_approval:",
    )
    assert req.status == "missing"


def test_zhengxiang_12_an_approval_record_names_the_head(packs):
    t, start = emergency_case()
    t.add(
        "record.head_approval",
        {"approves": start, "approved": True, "head_name": "王局长"},
        at=T0 + timedelta(hours=2),
        received=T0 + timedelta(hours=2),
        actor=HEAD,
    )
    [req] = by_prefix(evaluate(packs["zhengxiang-hrss"], t.entries, t.clock), "emergency_approval:")
    assert req.status == "met"
    assert req.approval["how"] == "record" and req.approval["name"] == "王局长"
    assert "王局长" in req.message_zh


def test_mingshan_19_head_approval_step_met_by_a_passkey_approval_of_the_proposal(packs):
    t = complete_penalty_case("mingshan-emergency")
    t.entries = [e for e in t.entries if e["kind"] != "record.head_approval"]
    proposal = next(e for e in t.entries if e["kind"] == "record.handler_proposal")
    t.passkey(proposal["hash"], "approve", HEAD)
    [step] = [
        r
        for r in evaluate(packs["mingshan-emergency"], t.entries, t.clock)
        if r.id == "step:head_approval"
    ]
    assert step.status == "met" and step.approval["by"] == HEAD


# -- 2. two officers' passkey attestations of a refusal count


REFUSED = {"role": "party", "name": "王某", "method": "refused", "refusal_reason": "当事人拒绝签字"}


def refused_inquiry(t: Timeline) -> str:
    # The officers did not draw their names: they attest with passkeys once the record is sent.
    return t.add("record.inquiry", {"person": "王某", "transcript": "……", "signatures": [REFUSED]})


def test_pingluo_14_two_officers_attest_a_refusal_with_passkeys(packs):
    t = Timeline("pingluo-transport")
    t.member(OFFICER_A)
    t.member(OFFICER_B)
    inquiry = refused_inquiry(t)
    t.passkey(inquiry, "attest_refusal", OFFICER_A)
    [req] = by_prefix(evaluate(packs["pingluo-transport"], t.entries, t.clock), "signatures:")
    assert req.status == "missing"
    assert article(req) == ("pingluo-transport-enforcement.txt", 14)
    # pingluo §14 takes two officers, never a witness: the message does not send one.
    assert "见证人" not in req.message_zh and "witness" not in req.message_en
    t.passkey(inquiry, "attest_refusal", OFFICER_B)
    [req] = by_prefix(evaluate(packs["pingluo-transport"], t.entries, t.clock), "signatures:")
    assert req.status == "met"


def test_pingluo_14_the_same_officer_twice_or_a_non_member_is_not_two_officers(packs):
    t = Timeline("pingluo-transport")
    t.member(OFFICER_A)
    inquiry = refused_inquiry(t)
    t.passkey(inquiry, "attest_refusal", OFFICER_A)
    t.passkey(inquiry, "co_sign", OFFICER_A)
    t.passkey(inquiry, "attest_refusal", OUTSIDER)
    [req] = by_prefix(evaluate(packs["pingluo-transport"], t.entries, t.clock), "signatures:")
    assert req.status == "missing"


def test_zhengxiang_13_message_offers_the_witness_it_accepts(packs):
    t = Timeline("zhengxiang-hrss")
    refused_inquiry(t)
    [req] = by_prefix(evaluate(packs["zhengxiang-hrss"], t.entries, t.clock), "signatures:")
    assert req.status == "missing" and "见证人" in req.message_zh


# -- 3. refusals and returns


def test_zhengxiang_12_refused_emergency_start_shows_as_refused_with_its_reason(packs):
    t, start = emergency_case()
    t.passkey(start, "refuse", HEAD, at=T0 + timedelta(hours=2), comment="不属于紧急情形")
    # A later approval of the same record does not undo the refusal: a new record must be submitted.
    t.passkey(start, "approve", "staff-head-2", at=T0 + timedelta(hours=3))
    [req] = by_prefix(
        evaluate(packs["zhengxiang-hrss"], t.entries, T0 + timedelta(hours=30)),
        "emergency_approval:",
    )
    assert req.status == "refused"
    assert "不属于紧急情形" in req.message_zh
    assert req.approval["decision"] == "refused" and req.approval["by"] == HEAD


def test_mingshan_19_head_refuses_the_proposal_by_approval_record(packs):
    t = complete_penalty_case("mingshan-emergency")
    t.entries = [e for e in t.entries if e["kind"] != "record.head_approval"]
    proposal = next(e for e in t.entries if e["kind"] == "record.handler_proposal")
    t.add(
        "record.head_approval",
        {
            "approves": proposal["hash"],
            "decision": "refused",
            "reason": "证据不足",
            "head_name": "局长",
        },
        actor=HEAD,
    )
    reqs = evaluate(packs["mingshan-emergency"], t.entries, t.clock)
    [step] = [r for r in reqs if r.id == "step:head_approval"]
    assert step.status == "refused" and "证据不足" in step.message_zh


def test_mingshan_19_a_returned_proposal_is_back_with_the_officer_until_corrected(packs):
    t = Timeline("mingshan-emergency")
    proposal = t.record("record.handler_proposal", {"facts": "……"})
    t.passkey(proposal, "return", HEAD, comment="请补充证据")
    [req] = by_prefix(evaluate(packs["mingshan-emergency"], t.entries, t.clock), "approval:")
    assert req.status == "missing" and "请补充证据" in req.message_zh
    t.record("record.handler_proposal", {"facts": "……补充"}, corrects=proposal)
    assert by_prefix(evaluate(packs["mingshan-emergency"], t.entries, t.clock), "approval:") == []


# -- 4. day-count deadlines end at 24:00 local time of the last day


def complaint_closed(at: datetime) -> Timeline:
    """A complaint not taken up, answered at `at`: the action ends there."""
    t = Timeline("mingshan-emergency", start_path="complaint", at=at - timedelta(hours=2))
    t.add("record.complaint_registration", {"content": "某企业违规动火", "recorder": "值班员"})
    t.add(
        "record.complaint_handling",
        {"decision": "not_open", "reason": "不属于本机关职权", "reply": "已电话告知"},
        at=at,
    )
    return t


def test_mingshan_32_dossier_archived_on_day_30_at_15_00_is_on_time(packs):
    t = complaint_closed(beijing(1, 10))
    archived = beijing(31, 15)  # day 30 after 1 March, 5 h after the action's time of day
    t.record("record.archive", {"dossier_number": "2025-007"}, at=archived, received=archived)
    [req] = [
        r for r in evaluate(packs["mingshan-emergency"], t.entries, t.clock) if r.id == "archive"
    ]
    assert req.status == "met"
    assert req.due_at == beijing(31, 23, 59).replace(second=59, microsecond=999999)
    assert article(req) == ("mingshan-emergency-management.txt", 32)


def test_mingshan_32_archived_on_day_31_is_late_from_midnight(packs):
    t = complaint_closed(beijing(1, 10))
    archived = beijing(31, 15) + timedelta(days=1)
    t.record("record.archive", {"dossier_number": "2025-007"}, at=archived, received=archived)
    [req] = [
        r for r in evaluate(packs["mingshan-emergency"], t.entries, t.clock) if r.id == "archive"
    ]
    assert req.status == "late" and req.late_by_s == 15 * 3600


# -- 5. a requirement not yet due is not missing


def test_mingshan_32_closed_complaint_is_due_for_archiving_not_missing(packs):
    t = complaint_closed(beijing(1, 10))
    reqs = evaluate(packs["mingshan-emergency"], t.entries, beijing(2, 9))
    [step] = [r for r in reqs if r.id == "step:archive"]
    [deadline] = [r for r in reqs if r.id == "archive"]
    assert step.status == deadline.status == "due"
    last_day_ends = datetime(2025, 3, 31, 23, 59, 59, 999999, tzinfo=BEIJING)
    assert step.due_at == deadline.due_at == last_day_ends
    assert "待办" in step.message_zh
    later = evaluate(packs["mingshan-emergency"], t.entries, beijing(31, 12) + timedelta(days=1))
    assert {r.id: r.status for r in later if r.id in ("step:archive", "archive")} == {
        "step:archive": "missing",
        "archive": "missing",
    }


# -- 9. simplified procedure AV of disputed actions; rules limited to enforcement kinds


def on_the_spot(agency: str, disputed: bool) -> tuple[Timeline, str]:
    t = Timeline(agency, procedure="simplified")
    h = t.record(
        "record.simplified_procedure",
        {"conditions": "事实清楚", "steps": "当场处罚", "likely_disputed": disputed},
    )
    return t, h


def test_mingshan_22_disputed_on_the_spot_action_needs_audio_or_video(packs):
    t, h = on_the_spot("mingshan-emergency", disputed=True)
    [req] = by_prefix(evaluate(packs["mingshan-emergency"], t.entries, t.clock), "av:simplified_")
    assert req.status == "missing"
    assert article(req) == ("mingshan-emergency-management.txt", 22)
    t.video(h)
    [req] = by_prefix(evaluate(packs["mingshan-emergency"], t.entries, t.clock), "av:simplified_")
    assert req.status == "met"


def test_lingchuan_21_undisputed_on_the_spot_action_needs_no_av(packs):
    t, _ = on_the_spot("lingchuan-finance", disputed=False)
    assert (
        by_prefix(evaluate(packs["lingchuan-finance"], t.entries, t.clock), "av:simplified_") == []
    )
    t, _ = on_the_spot("lingchuan-finance", disputed=True)
    [req] = by_prefix(evaluate(packs["lingchuan-finance"], t.entries, t.clock), "av:simplified_")
    assert article(req) == ("lingchuan-finance-bureau.txt", 21)


def test_hebei_6_3_reading_the_decision_aloud_is_filmed_in_coercion_cases_only(packs):
    for kind, expected in (("coercion", ["missing"]), ("penalty", [])):
        t = Timeline("hebei-hrss", kind=kind)
        t.record("record.decision", {"outcome": "强制执行"})
        reqs = by_prefix(evaluate(packs["hebei-hrss"], t.entries, t.clock), "av:coercion_decision")
        assert [r.status for r in reqs] == expected, kind
        assert all(article(r) == ("hebei-hrss-bureau.txt", 6) for r in reqs)
