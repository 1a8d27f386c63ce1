"""The compliance engine reads a case timeline against its agency's rule pack, citing the article broken."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.cases.compliance import Requirement, evaluate
from backend.cases.random_draw import draw_for, seed_commitment
from tests.unit.cases.timelines import T0, Timeline, complete_penalty_case, everyone_signs, iso

BEIJING = ZoneInfo("Asia/Shanghai")
AGENCIES = [
    "zhengxiang-hrss",
    "pingluo-transport",
    "mingshan-emergency",
    "hebei-hrss",
    "lingchuan-finance",
]


def end_of_beijing_day(moment: datetime) -> datetime:
    local = moment.astimezone(BEIJING)
    return local.replace(hour=23, minute=59, second=59, microsecond=999999)


def problems(reqs: list[Requirement]) -> list[Requirement]:
    return [r for r in reqs if r.status in ("missing", "late")]


def by_prefix(reqs: list[Requirement], prefix: str) -> list[Requirement]:
    return [r for r in reqs if r.id.startswith(prefix)]


def article(req: Requirement) -> tuple[str, int]:
    return req.citation["file"], req.citation["article"]


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_complete_penalty_case_has_nothing_missing_or_late(packs, agency):
    t = complete_penalty_case(agency)
    reqs = evaluate(packs[agency], t.entries, t.clock + timedelta(days=1))
    assert problems(reqs) == []
    assert all(r.message_zh and r.message_en for r in reqs)
    assert {r.id for r in reqs if r.status == "met"} >= {"step:decision", "step:service", "archive"}
    assert by_prefix(reqs, "prerequisite:legal_review:")[0].status == "met"


def test_a_random_inspection_with_committed_seed_and_filmed_draw_is_complete(packs):
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    pools = {
        "method": "摇号",
        "seed_sha256": seed_commitment("s3cret"),
        "target_pool": ["甲公司", "乙公司"],
        "inspector_pool": ["张", "李", "王"],
        "target_count": 1,
        "inspector_count": 2,
    }
    commit = t.add("record.random_draw_commit", pools)
    drawn = draw_for(pools, "s3cret", commit)
    reveal = t.add(
        "record.random_draw_reveal",
        {
            "commit_entry": commit,
            "seed": "s3cret",
            "targets": drawn.targets,
            "inspectors": drawn.inspectors,
        },
    )
    t.video(reveal)
    t.filmed("record.onsite_inspection")
    t.add("record.archive", {"dossier_number": "J-1", "archivist": "档案员"})
    reqs = evaluate(packs["zhengxiang-hrss"], t.entries, t.clock)
    assert problems(reqs) == []
    assert by_prefix(reqs, "av:random_draw_video:")[0].status == "met"


def test_random_draw_without_video_is_flagged_under_zhengxiang_article_11(packs):
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    t.add(
        "record.random_draw_commit",
        {
            "method": "摇号",
            "seed_sha256": "c" * 64,
            "target_pool": ["甲"],
            "inspector_pool": ["张"],
            "target_count": 1,
            "inspector_count": 1,
        },
    )
    t.add(
        "record.random_draw_reveal",
        {"commit_entry": "c" * 64, "seed": "x", "targets": ["甲"], "inspectors": ["张"]},
    )
    [req] = by_prefix(
        evaluate(packs["zhengxiang-hrss"], t.entries, t.clock), "av:random_draw_video:"
    )
    assert req.status == "missing"
    assert article(req) == ("zhengxiang-hrss-2017.txt", 11)


def test_a_complaint_not_taken_up_is_complete_with_the_reply_and_the_archive(packs):
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
        {
            "decision": "not_open",
            "reason": "不属于本机关职权",
            "reply": "已电话告知",
            "reply_method": "phone",
        },
    )
    t.add(
        "record.archive",
        {"dossier_number": "T-9", "archivist": "档案员"},
        at=t.clock + timedelta(days=5),
    )
    reqs = evaluate(packs["mingshan-emergency"], t.entries, t.clock)
    assert problems(reqs) == []
    assert {r.id for r in reqs} >= {
        "step:complaint_registration",
        "step:complaint_handling",
        "step:archive",
        "archive",
    }
    assert article(next(r for r in reqs if r.id == "step:complaint_handling")) == (
        "mingshan-emergency-management.txt",
        9,
    )


def test_simplified_procedure_on_the_spot_is_complete(packs):
    t = Timeline("lingchuan-finance", procedure="simplified")
    t.record("record.simplified_procedure", {"conditions": "事实清楚", "steps": "当场处罚"})
    t.record("record.decision")
    t.record("record.service_direct")
    t.add("record.archive", {"dossier_number": "S-1", "archivist": "档案员"})
    assert problems(evaluate(packs["lingchuan-finance"], t.entries, t.clock)) == []


def test_av_uploaded_25_hours_after_capture_is_late_under_pingluo_article_23(packs):
    t = complete_penalty_case("pingluo-transport")
    inspection = next(e for e in t.entries if e["kind"] == "record.onsite_inspection")["hash"]
    media = t.video(inspection, delay=timedelta(hours=25))
    [req] = by_prefix(
        evaluate(packs["pingluo-transport"], t.entries, t.clock), f"av_upload:{media}"
    )
    assert req.status == "late"
    assert req.late_by_s == 3600
    assert article(req) == ("pingluo-transport-enforcement.txt", 23)
    assert "第23条" in req.message_zh and "§23" in req.message_en


def test_a_three_day_old_recording_claimed_as_just_made_is_still_late(packs):
    # The phone says "now"; the mp4's own creation time says three days ago. The older one counts.
    t = Timeline("hebei-hrss")
    h = t.record("record.onsite_inspection")
    made = t.clock - timedelta(days=3)
    skew = {"code": "container_time_skew", "detail": {"container_time": made.isoformat()}}
    media = t.add("media.video", {"for_entry": h, "findings": [skew]})
    [req] = by_prefix(evaluate(packs["hebei-hrss"], t.entries, t.clock), f"av_upload:{media}")
    assert req.status == "late"
    assert req.late_by_s > 40 * 3600


def test_the_devices_measured_clock_offset_corrects_its_claimed_capture_time(packs):
    t = Timeline("hebei-hrss")
    h = t.record("record.onsite_inspection")
    media = t.add("media.video", {"for_entry": h}, received=t.clock + timedelta(hours=23))
    # The phone's clock ran two hours fast: it was really captured two hours earlier.
    t.entries[-1]["claimed"]["clock_offset_ms"] = -2 * 3600 * 1000
    [req] = by_prefix(evaluate(packs["hebei-hrss"], t.entries, t.clock), f"av_upload:{media}")
    assert req.status == "late"


def test_av_from_a_remote_area_is_due_24_hours_after_return(packs):
    t = Timeline("pingluo-transport")
    h = t.record("record.onsite_inspection")
    captured = t.clock
    returned = captured + timedelta(days=3)
    media = t.add(
        "media.video",
        {
            "for_entry": h,
            "remote_area_return_at": returned.isoformat(),
            "remote_area_reason": "水上执法",
        },
        at=captured,
        received=returned + timedelta(hours=20),
    )
    [req] = by_prefix(
        evaluate(packs["pingluo-transport"], t.entries, t.clock), f"av_upload:{media}"
    )
    assert req.status == "met"
    assert req.due_at == returned + timedelta(hours=24)


def test_two_working_days_over_national_day_under_zhengxiang_article_27(packs):
    from backend.workdays import BEIJING

    captured = datetime(2025, 9, 30, 15, 0, tzinfo=BEIJING)
    t = Timeline("zhengxiang-hrss", at=captured - timedelta(hours=2))
    h = t.record("record.inquiry")
    on_time = t.add(
        "media.audio",
        {"for_entry": h},
        at=captured,
        received=datetime(2025, 10, 10, 20, 0, tzinfo=BEIJING),
    )
    late = t.add(
        "media.audio",
        {"for_entry": h},
        at=captured,
        received=datetime(2025, 10, 11, 9, 0, tzinfo=BEIJING),
    )
    reqs = evaluate(packs["zhengxiang-hrss"], t.entries, t.clock)
    first = by_prefix(reqs, f"av_upload:{on_time}")[0]
    second = by_prefix(reqs, f"av_upload:{late}")[0]
    assert first.status == "met"
    assert first.due_at == datetime(2025, 10, 10, 23, 59, 59, 999999, tzinfo=BEIJING)
    assert second.status == "late" and article(second) == ("zhengxiang-hrss-2017.txt", 27)
    assert first.notes == ()


def test_working_day_deadline_in_an_unpublished_year_notes_the_weekday_fallback(packs):
    from backend.workdays import calendar_published

    year = 2030
    assert not calendar_published(year)
    t = Timeline("lingchuan-finance", at=datetime.fromisoformat(f"{year}-03-01T09:00:00+08:00"))
    h = t.record("record.inquiry")
    media = t.video(h)
    [req] = by_prefix(
        evaluate(packs["lingchuan-finance"], t.entries, t.clock), f"av_upload:{media}"
    )
    assert req.status == "met"
    assert req.notes == (f"calendar not published for {year}; weekdays used",)
    assert f"{year}年" in req.message_zh


@pytest.mark.parametrize(
    ("agency", "art"),
    [
        ("zhengxiang-hrss", 22),
        ("mingshan-emergency", 25),
        ("pingluo-transport", 19),
        ("hebei-hrss", 5),
    ],
)
def test_left_at_residence_service_without_video_is_flagged(packs, agency, art):
    t = Timeline(agency)
    t.record("record.decision")
    photo = t.record(
        "record.service_left_at_residence", {"refusal_reason": "拒收", "witness": "赵见证"}
    )
    t.video(photo, kind="media.photo")  # a photo is not the continuous video required
    [req] = by_prefix(evaluate(packs[agency], t.entries, t.clock), "av:service_left_video:")
    assert req.status == "missing"
    assert req.citation["article"] == art
    assert req.entry_hash == photo


def test_public_notice_service_needs_a_photo_or_video_of_the_posted_notice(packs):
    t = Timeline("zhengxiang-hrss")
    notice = t.record(
        "record.service_public_notice", {"other_ways_failed": "下落不明", "medium": "posted"}
    )
    pack = packs["zhengxiang-hrss"]
    [before] = by_prefix(evaluate(pack, t.entries, t.clock), "av:public_notice_photo:")
    assert before.status == "missing" and article(before) == ("zhengxiang-hrss-2017.txt", 25)
    t.add("media.photo", {"step": "record.service_public_notice"})
    [after] = by_prefix(evaluate(pack, t.entries, t.clock), "av:public_notice_photo:")
    assert after.status == "met"
    assert notice


def test_emergency_start_never_approved_is_flagged_under_mingshan_article_8(packs):
    t = Timeline("mingshan-emergency", start_path="emergency")
    start = t.add("record.emergency_start", {"reason": "危化品泄漏", "started_at": T0.isoformat()})
    reqs = evaluate(packs["mingshan-emergency"], t.entries, T0 + timedelta(hours=23))
    [pending] = by_prefix(reqs, "emergency_approval:")  # still within the 24 h
    assert pending.status == "due" and pending.due_at == T0 + timedelta(hours=24)
    [req] = by_prefix(
        evaluate(packs["mingshan-emergency"], t.entries, T0 + timedelta(hours=30)),
        "emergency_approval:",
    )
    assert req.status == "missing"
    assert req.entry_hash == start
    assert req.due_at == T0 + timedelta(hours=24)
    assert article(req) == ("mingshan-emergency-management.txt", 8)


def test_emergency_start_approved_after_30_hours_is_late_by_6_hours(packs):
    t = Timeline("zhengxiang-hrss", start_path="emergency")
    start = t.add(
        "record.emergency_start", {"reason": "欠薪群体事件", "started_at": T0.isoformat()}
    )
    t.add(
        "record.head_approval",
        {"approves": start, "approved": True, "head_name": "局长"},
        at=T0 + timedelta(hours=30),
        received=T0 + timedelta(hours=30),
    )
    [req] = by_prefix(evaluate(packs["zhengxiang-hrss"], t.entries, t.clock), "emergency_approval:")
    assert req.status == "late"
    assert req.late_by_s == 6 * 3600
    assert article(req) == ("zhengxiang-hrss-2017.txt", 12)


def test_dossier_not_archived_within_pingluo_ten_days_is_flagged_under_article_27(packs):
    t = complete_penalty_case("pingluo-transport")
    t.entries = [e for e in t.entries if e["kind"] != "record.archive"]
    paid = next(e for e in t.entries if e["kind"] == "record.performance")
    ended = datetime.fromisoformat(paid["claimed"]["time"])
    last_day_ends = end_of_beijing_day(ended + timedelta(days=10))
    [req] = by_prefix(evaluate(packs["pingluo-transport"], t.entries, last_day_ends), "archive")
    assert req.status == "due" and req.due_at == last_day_ends
    [req] = [
        r
        for r in evaluate(packs["pingluo-transport"], t.entries, ended + timedelta(days=11))
        if r.id == "archive"
    ]
    assert req.status == "missing"
    assert req.due_at == last_day_ends
    assert req.late_by_s == int((ended + timedelta(days=11) - last_day_ends).total_seconds())
    assert article(req) == ("pingluo-transport-enforcement.txt", 27)


def test_dossier_archived_on_day_25_is_late_under_zhengxiang_twenty_days(packs):
    t = complete_penalty_case("zhengxiang-hrss")
    archive = t.entries.pop()
    paid = next(e for e in t.entries if e["kind"] == "record.performance")
    day_25 = datetime.fromisoformat(paid["claimed"]["time"]) + timedelta(days=25)
    t.add("record.archive", archive["payload"], at=day_25, received=day_25)
    [req] = [r for r in evaluate(packs["zhengxiang-hrss"], t.entries, t.clock) if r.id == "archive"]
    assert req.status == "late"
    assert article(req) == ("zhengxiang-hrss-2017.txt", 29)
    assert req.due_at == end_of_beijing_day(day_25 - timedelta(days=5))
    assert req.late_by_s == int((day_25 - req.due_at).total_seconds())


def test_pingluo_decision_without_legal_review_is_flagged_under_article_9(packs):
    t = complete_penalty_case("pingluo-transport")
    t.entries = [e for e in t.entries if e["kind"] != "record.legal_review"]
    t.entries[0]["payload"]["major"] = False  # pingluo reviews every general-procedure penalty
    [req] = by_prefix(
        evaluate(packs["pingluo-transport"], t.entries, t.clock), "prerequisite:legal_review:"
    )
    assert req.status == "missing"
    assert article(req) == ("pingluo-transport-enforcement.txt", 9)
    assert req.entry_hash == next(e["hash"] for e in t.entries if e["kind"] == "record.decision")


def test_legal_review_after_the_decision_does_not_count(packs):
    t = Timeline("mingshan-emergency", major=True)
    t.record("record.decision")
    t.record("record.legal_review")
    [req] = by_prefix(
        evaluate(packs["mingshan-emergency"], t.entries, t.clock), "prerequisite:legal_review:"
    )
    assert req.status == "missing"
    assert article(req) == ("mingshan-emergency-management.txt", 8)


def test_mingshan_ordinary_case_needs_no_legal_review(packs):
    t = Timeline("mingshan-emergency", major=False)
    t.record("record.decision")
    [req] = by_prefix(
        evaluate(packs["mingshan-emergency"], t.entries, t.clock), "prerequisite:legal_review:"
    )
    assert req.status == "not_applicable"


def test_a_missing_step_is_flagged_once_the_case_has_moved_past_it(packs):
    t = complete_penalty_case("lingchuan-finance")
    t.entries = [e for e in t.entries if e["kind"] != "record.rights_notice"]
    [req] = [
        r
        for r in evaluate(packs["lingchuan-finance"], t.entries, t.clock)
        if r.id == "step:rights_notice"
    ]
    assert req.status == "missing"
    assert article(req) == ("lingchuan-finance-bureau.txt", 11)


def officers_and(*extra):
    return [
        {"role": "officer", "name": "张执法", "method": "passkey"},
        {"role": "officer", "name": "李执法", "method": "passkey"},
        *extra,
    ]


REFUSED = {"role": "party", "name": "王某", "method": "refused", "refusal_reason": "当事人拒绝签字"}


def test_party_refuses_to_sign_and_two_officers_attest(packs):
    t = Timeline("pingluo-transport")
    t.add(
        "record.inquiry",
        {"person": "王某", "transcript": "……", "signatures": officers_and(REFUSED)},
    )
    [req] = by_prefix(evaluate(packs["pingluo-transport"], t.entries, t.clock), "signatures:")
    assert req.status == "met"


def test_party_refuses_and_only_one_officer_signs_under_pingluo_article_14(packs):
    t = Timeline("pingluo-transport")
    t.add(
        "record.inquiry",
        {"person": "王某", "transcript": "……", "signatures": officers_and(REFUSED)[1:]},
    )
    [req] = by_prefix(evaluate(packs["pingluo-transport"], t.entries, t.clock), "signatures:")
    assert req.status == "missing"
    assert article(req) == ("pingluo-transport-enforcement.txt", 14)
    assert "两名执法人员" in req.message_zh


def test_hebei_refusal_to_sign_also_needs_av(packs):
    t = Timeline("hebei-hrss")
    h = t.add(
        "record.inquiry",
        {"person": "王某", "transcript": "……", "signatures": officers_and(REFUSED)},
    )
    [req] = by_prefix(evaluate(packs["hebei-hrss"], t.entries, t.clock), "signatures:")
    assert req.status == "missing" and article(req) == ("hebei-hrss-bureau.txt", 5)
    t.video(h)
    [req] = by_prefix(evaluate(packs["hebei-hrss"], t.entries, t.clock), "signatures:")
    assert req.status == "met"


def test_a_three_page_record_needs_the_party_on_every_page(packs):
    t = Timeline("pingluo-transport")
    party = [{"role": "party", "name": "王某", "method": "fingerprint", "page": p} for p in (1, 3)]
    t.add(
        "record.inquiry",
        {"person": "王某", "transcript": "……", "pages": 3, "signatures": officers_and(*party)},
    )
    [req] = by_prefix(evaluate(packs["pingluo-transport"], t.entries, t.clock), "signatures_pages:")
    assert req.status == "missing"
    assert "第2页" in req.message_zh
    assert article(req) == ("pingluo-transport-enforcement.txt", 14)


def test_every_correction_needs_a_confirmation_of_its_own_and_the_latest_correction_counts(packs):
    t = Timeline("pingluo-transport")
    signed = officers_and({"role": "party", "name": "王某", "method": "fingerprint"})
    original = t.add(
        "record.inquiry", {"person": "王某", "transcript": "罚款500", "signatures": signed}
    )
    unconfirmed = t.add(
        "record.inquiry",
        {"person": "王某", "transcript": "罚款5000", "signatures": signed},
        corrects=original,
    )
    reqs = evaluate(packs["pingluo-transport"], t.entries, t.clock)
    [fix] = by_prefix(reqs, "signatures_correction:")
    assert fix.status == "missing" and fix.entry_hash == unconfirmed
    assert article(fix) == ("pingluo-transport-enforcement.txt", 14)
    confirmed = t.add(
        "record.inquiry",
        {
            "person": "王某",
            "transcript": "罚款5000",
            "signatures": [
                *signed,
                {"role": "party", "name": "王某", "method": "fingerprint", "blob": "f" * 64},
            ],
        },
        corrects=unconfirmed,
    )
    reqs = evaluate(packs["pingluo-transport"], t.entries, t.clock)
    statuses = {r.entry_hash: r.status for r in by_prefix(reqs, "signatures_correction:")}
    assert statuses == {unconfirmed: "missing", confirmed: "met"}
    [whole] = by_prefix(reqs, "signatures:")
    assert whole.entry_hash == confirmed  # the latest version is the record


def test_media_linked_to_a_corrected_record_still_documents_it(packs):
    t = Timeline("mingshan-emergency")
    original = t.record("record.onsite_inspection", {"target": "甲厂", "findings": "初稿"})
    t.video(original)
    fixed = t.record(
        "record.onsite_inspection", {"target": "甲厂", "findings": "定稿"}, corrects=original
    )
    [req] = by_prefix(
        evaluate(packs["mingshan-emergency"], t.entries, t.clock), "av:inspection_av:"
    )
    assert req.status == "met" and req.entry_hash == fixed


def test_mingshan_removal_of_obstruction_needs_video_but_a_surcharge_does_not(packs):
    t = Timeline("mingshan-emergency")
    t.record("record.enforcement_measure", {"method": "surcharge", "details": "加处罚款"})
    t.record("record.enforcement_measure", {"method": "removal", "details": "拆除违规设施"})
    reqs = by_prefix(
        evaluate(packs["mingshan-emergency"], t.entries, t.clock), "av:removal_restoration_av:"
    )
    assert [r.status for r in reqs] == ["missing"]
    assert article(reqs[0]) == ("mingshan-emergency-management.txt", 30)


def test_a_waiver_turns_a_late_upload_into_waived(packs):
    t = Timeline("pingluo-transport")
    h = t.record("record.onsite_inspection")
    media = t.video(h, delay=timedelta(hours=30))
    t.add(
        "record.waiver",
        {
            "requirement_id": f"av_upload:{media}",
            "reason": "设备故障，已书面说明",
            "approved_by": "大队长",
        },
    )
    [req] = by_prefix(
        evaluate(packs["pingluo-transport"], t.entries, t.clock), f"av_upload:{media}"
    )
    assert req.status == "waived"
    assert req.late_by_s == 6 * 3600
    assert "大队长" in req.message_zh


def test_an_enforcement_kind_outside_the_pack_is_reported(packs):
    t = Timeline("lingchuan-finance", kind="licence")
    [req] = [
        r for r in evaluate(packs["lingchuan-finance"], t.entries, t.clock) if r.id == "workflow"
    ]
    assert req.status == "missing"


def test_every_requirement_carries_a_citation_and_both_languages(packs):
    t = complete_penalty_case("hebei-hrss")
    t.record("record.service_left_at_residence", {"signatures": everyone_signs()})
    for req in evaluate(packs["hebei-hrss"], t.entries, t.clock):
        assert req.citation and (
            "article" in req.citation or req.citation.get("basis") == "domain default"
        )
        assert req.message_zh and req.message_en


def linked(t: Timeline, for_entry: str, late_by_h: float = 0.0, reason: str | None = None) -> str:
    """A body-worn recorder file imported on the agency timeline, then linked to this case."""
    deadline = {"deadline": iso(t.clock), "late": late_by_h > 0, "late_by_h": late_by_h,
                "basis": "hours", **({"reason": reason} if reason else {})}  # fmt: skip
    return t.add(
        "recording.linked",
        {"agency_id": "pingluo-transport", "sha256": "a" * 64, "imported_entry": "b" * 64,
         "filename": "DSJ_0123456_20261120_093000.mp4", "media_type": "video/mp4",
         "retention": "case", "for_entry": for_entry, "deadline": deadline},
    )  # fmt: skip


def test_a_linked_recorder_file_is_the_video_of_a_left_at_residence_service(packs):
    t = Timeline("zhengxiang-hrss")
    t.record("record.decision")
    served = t.record(
        "record.service_left_at_residence", {"refusal_reason": "拒收", "witness": "赵见证"}
    )
    link = linked(t, served)
    reqs = evaluate(packs["zhengxiang-hrss"], t.entries, t.clock)
    [av] = by_prefix(reqs, "av:service_left_video:")
    assert av.status == "met"
    [upload] = by_prefix(reqs, f"av_upload:{link}")
    assert upload.status == "met"


def test_a_recorder_file_imported_late_stays_late_with_its_stated_reason(packs):
    t = Timeline("pingluo-transport")
    served = t.record(
        "record.service_left_at_residence", {"refusal_reason": "拒收", "witness": "赵见证"}
    )
    link = linked(t, served, late_by_h=30.5, reason="连续执勤")
    [upload] = by_prefix(evaluate(packs["pingluo-transport"], t.entries, t.clock), "av_upload:")
    assert (upload.status, upload.entry_hash, upload.late_by_s) == ("late", link, 30.5 * 3600)
    assert "连续执勤" in upload.message_zh and "连续执勤" in upload.message_en


def test_electronic_service_is_complete_when_the_party_first_opens_the_link(packs):
    t = Timeline("lingchuan-finance")
    t.record("record.decision")
    t.add("service.opened", {"link_entry": "c" * 64, "document_sha256": "d" * 64, "first": True,
                             "ip": "203.0.113.9", "user_agent": "Mobile Safari"})  # fmt: skip
    [step] = by_prefix(evaluate(packs["lingchuan-finance"], t.entries, t.clock), "step:service")
    assert step.status == "met"


def test_lingchuan_leaves_video_of_left_at_residence_and_public_notice_service_to_circumstances(
    packs,
):
    # Lingchuan §13(四) records them "根据实际情况" and §22(二)(五) asks for no video.
    t = Timeline("lingchuan-finance")
    t.record("record.service_left_at_residence", {"refusal_reason": "拒收", "witness": "赵见证"})
    t.record("record.service_public_notice", {"other_ways_failed": "下落不明", "medium": "posted"})
    reqs = evaluate(packs["lingchuan-finance"], t.entries, t.clock)
    assert not [r for r in reqs if r.id.startswith("av:")]


def test_zhengxiang_wants_a_photo_only_of_a_posted_notice_not_of_a_newspaper_one(packs):
    t = Timeline("zhengxiang-hrss")
    t.record(
        "record.service_public_notice", {"other_ways_failed": "下落不明", "medium": "newspaper"}
    )
    reqs = evaluate(packs["zhengxiang-hrss"], t.entries, t.clock)
    assert not by_prefix(reqs, "av:public_notice_photo:")


@pytest.mark.parametrize(
    ("agency", "measure", "art"),
    [
        ("mingshan-emergency", "record.enforcement_measure", 29),
        ("mingshan-emergency", "record.court_application", 29),
        ("lingchuan-finance", "record.court_application", 24),
        ("hebei-hrss", "record.enforcement_measure", 6),
        ("hebei-hrss", "record.court_application", 5),
    ],
)
def test_compulsory_enforcement_without_a_prior_urging_notice_is_flagged(
    packs, agency, measure, art
):
    t = Timeline(agency, kind="coercion" if measure.endswith("measure") else "penalty")
    t.record("record.decision")
    done = t.record(measure, {"method": "auction", "details": "拍卖扣押车辆"})
    [req] = by_prefix(evaluate(packs[agency], t.entries, t.clock), "prerequisite:urging_before_")
    assert req.status == "missing"
    assert article(req) == (packs[agency].data["agency"]["seed_file"], art)
    assert req.entry_hash == done
    assert "催告书" in req.message_zh and "urging notice" in req.message_en


def test_an_urging_notice_served_first_satisfies_the_enforcement_prerequisite(packs):
    t = Timeline("mingshan-emergency", kind="coercion")
    t.record("record.decision")
    urging = t.record("record.urging_notice", {"obligation": "缴纳罚款", "deadline": "10日内"})
    t.record("record.enforcement_measure", {"method": "surcharge", "details": "加处罚款"})
    [req] = by_prefix(
        evaluate(packs["mingshan-emergency"], t.entries, t.clock), "prerequisite:urging"
    )
    assert (req.status, req.entry_hash) == ("met", urging)


def test_an_urging_notice_made_only_after_the_court_application_does_not_count(packs):
    t = Timeline("lingchuan-finance")
    t.record("record.decision")
    t.record("record.court_application", {})
    t.record("record.urging_notice", {"obligation": "缴纳罚款", "deadline": "10日内"})
    [req] = by_prefix(
        evaluate(packs["lingchuan-finance"], t.entries, t.clock), "prerequisite:urging"
    )
    assert req.status == "missing"


def test_zhengxiang_and_pingluo_seeds_do_not_require_an_urging_notice(packs):
    for agency in ("zhengxiang-hrss", "pingluo-transport"):
        t = Timeline(agency, kind="coercion")
        t.record("record.enforcement_measure", {"method": "auction", "details": "拍卖"})
        assert not by_prefix(evaluate(packs[agency], t.entries, t.clock), "prerequisite:urging")


def test_lingchuan_party_refusing_to_sign_without_av_is_flagged_under_article_12(packs):
    t = Timeline("lingchuan-finance")
    refused = [
        {"role": "officer", "name": "张执法", "method": "drawn"},
        {"role": "officer", "name": "李执法", "method": "drawn"},
        {"role": "party", "name": "王某", "method": "refused", "refusal_reason": "拒绝签字"},
    ]
    inquiry = t.record("record.inquiry", {"signatures": refused})
    [req] = by_prefix(evaluate(packs["lingchuan-finance"], t.entries, t.clock), "signatures:")
    assert req.status == "missing" and "音像" in req.message_zh
    assert article(req) == ("lingchuan-finance-bureau.txt", 12)
    t.video(inquiry)
    [req] = by_prefix(evaluate(packs["lingchuan-finance"], t.entries, t.clock), "signatures:")
    assert req.status == "met"


@pytest.mark.parametrize("kind", ["record.rights_notice", "record.statement_defence"])
def test_hebei_statements_and_defence_stage_needs_av(packs, kind):
    t = Timeline("hebei-hrss")
    record = t.record(kind)
    [req] = by_prefix(evaluate(packs["hebei-hrss"], t.entries, t.clock), "av:statement_defence_av:")
    assert req.status == "missing" and req.entry_hash == record
    assert article(req) == ("hebei-hrss-bureau.txt", 5)
