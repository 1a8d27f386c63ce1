"""Each of the five agencies runs a case start to archive through the HTTP API; broken cases are flagged.

Sign-in: until the identity domain's `signed_in(client, role, agency_id)` lands, these tests put
the caller's Principal into the ASGI scope themselves (the only thing the access guard reads).
Media: the evidence upload API is not mounted yet, so video bytes go straight into the blob store
and their `media.video` entries are appended through the ledger API with `blobs=[sha]`.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from backend.cases.random_draw import draw_for, seed_commitment
from backend.cases.rules import get_pack
from tests.integration.conftest import signed_in
from tests.integration.uploads import upload_media
from tests.recorder_files import make_recording

NOW = datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def party(name: str = "王某", kind: str = "person") -> dict[str, str]:
    return {"name": name, "kind": kind}


def signed(refusing: str | None = None) -> list[dict[str, Any]]:
    sigs = [
        {"role": "officer", "name": "张执法", "method": "drawn"},
        {"role": "officer", "name": "李执法", "method": "drawn"},
        {"role": "witness", "name": "赵见证", "method": "drawn"},
        {"role": "participant", "name": "钱参加", "method": "drawn"},
        {"role": "recipient", "name": "王某", "method": "drawn"},
        {"role": "party", "name": "王某", "method": "fingerprint"},
    ]
    if refusing:
        sigs = [s for s in sigs if s["role"] not in (refusing, "witness")]
        sigs.append(
            {
                "role": refusing,
                "name": "王某",
                "method": "refused",
                "refusal_reason": "当场拒绝签字",
            }
        )
    return sigs


class Officer:
    """One signed-in officer of one agency talking to the real app."""

    def __init__(self, client: Any, headers: dict[str, str], agency: str, tmp: Path) -> None:
        self.client, self.headers, self.agency, self.tmp = client, headers, agency, tmp
        self.films: list[Path] = []

    async def open(self, **case: Any) -> str:
        body = {
            "client_id": str(uuid.uuid4()),
            "title": "执法案件",
            "enforcement_kind": "penalty",
            "procedure": "general",
            "start_path": "ex_officio",
            "parties": [party()],
            "officers": [],
            **case,
        }
        response = await self.client.post("/api/cases", json=body)
        assert response.status_code == 201, response.text
        return response.json()["case_id"]

    async def record(
        self, case_id: str, kind: str, payload: dict[str, Any], at: datetime | None = None, **kw
    ) -> str:
        body = {
            "kind": kind,
            "client_id": str(uuid.uuid4()),
            "payload": payload,
            "claimed": {"time": iso(at or NOW), "clock_offset_ms": 0, "geo": None},
            **kw,
        }
        response = await self.client.post(f"/api/cases/{case_id}/entries", json=body)
        assert response.status_code == 201, response.text
        return response.json()["hash"]

    async def signed_record(self, case_id: str, kind: str, payload: dict[str, Any], **kw) -> str:
        return await self.record(case_id, kind, {"signatures": signed(), **payload}, **kw)

    async def film(
        self, case_id: str, for_entry: str | None = None, captured: datetime | None = None, **p
    ) -> str:
        """A short real video of a step, uploaded and finalised as a phone or recorder would."""
        captured = captured or NOW - timedelta(minutes=30)
        path = make_recording(self.tmp / f"{uuid.uuid4()}.mp4", captured, shade=len(self.films))
        self.films.append(path)
        entry = await upload_media(
            self.client, self.headers, case_id, path.read_bytes(),
            claimed={"time": iso(captured), "clock_offset_ms": 0, "geo": None},
            kind="media.video", media_type="video/mp4", filename=path.name,
            payload={**({"for_entry": for_entry} if for_entry else {}), **p}, device=None,
        )  # fmt: skip
        return entry["hash"]

    async def compliance(self, case_id: str) -> dict[str, dict[str, Any]]:
        response = await self.client.get(f"/api/cases/{case_id}")
        assert response.status_code == 200, response.text
        return {r["id"]: r for r in response.json()["compliance"]}


def problems(reqs: dict[str, dict[str, Any]]) -> list[str]:
    return [
        f"{r['id']}: {r['message_en']}" for r in reqs.values() if r["status"] in ("missing", "late")
    ]


def one(reqs: dict[str, dict[str, Any]], prefix: str) -> dict[str, Any]:
    [req] = [r for rid, r in reqs.items() if rid.startswith(prefix)]
    return req


@pytest.fixture
async def officer_of(app_client, tmp_path):
    """`await officer_of(agency)` -> an officer of that agency, signed in with a passkey."""

    async def sign_in(agency: str, roles: tuple[str, ...] = ("officer",)) -> Officer:
        headers = await signed_in(app_client, list(roles), agency, name="张执法")
        app_client.headers.update(headers)
        return Officer(app_client, dict(headers), agency, tmp_path)

    return sign_in


@pytest.fixture
async def approver_of(another_client, tmp_path):
    """`await approver_of(agency)` -> the agency's approving head, on a browser of their own."""

    async def sign_in(agency: str) -> Officer:
        headers = await signed_in(another_client, "approver", agency, name="周局长")
        another_client.headers.update(headers)
        return Officer(another_client, dict(headers), agency, tmp_path)

    return sign_in


# -- the five agencies, start to archive -------------------------------------------------------


async def test_mingshan_duty_desk_logs_a_complaint_it_does_not_take_up(officer_of):
    me = await officer_of("mingshan-emergency")
    case = await me.open(title="群众举报某企业违规动火", start_path="complaint")
    await me.record(
        case,
        "record.complaint_registration",
        {"content": "某企业夜间违规动火作业", "received_at": iso(NOW), "recorder": "值班员"},
    )
    await me.record(
        case,
        "record.complaint_handling",
        {
            "decision": "not_open",
            "reason": "经核查系正常检修，已办理动火审批",
            "reply_method": "phone",
        },
    )
    await me.record(
        case, "record.archive", {"dossier_number": "明应急投〔2025〕3号", "archivist": "档案员"}
    )
    reqs = await me.compliance(case)
    assert problems(reqs) == []
    assert reqs["step:complaint_handling"]["status"] == "met"
    assert (await me.client.get(f"/api/cases/{case}")).json()["status"] == "closed"


async def test_zhengxiang_random_inspection_draws_from_a_committed_seed_on_video(officer_of):
    me = await officer_of("zhengxiang-hrss")
    case = await me.open(
        title="2025年第一季度劳动保障双随机抽查",
        enforcement_kind="inspection",
        start_path="random_inspection",
    )
    seed = "一次性随机种子-7f3a"
    pools = {
        "method": "执法监督系统随机摇号，纪检人员现场监督",
        "target_pool": ["甲劳务公司", "乙建筑公司", "丙餐饮店", "丁物业公司"],
        "inspector_pool": ["E001", "E002", "E003"],
        "target_count": 1,
        "inspector_count": 2,
    }
    commit = await me.client.post(
        f"/api/cases/{case}/random-draw/commit",
        json={"client_id": str(uuid.uuid4()), "seed_sha256": seed_commitment(seed), **pools},
    )
    assert commit.status_code == 201, commit.text
    commit_hash = commit.json()["hash"]
    assert commit.json()["payload"]["algorithm"] == "sha256-rank-v2"

    # Not liking what the seed draws, the officer cannot simply commit another one.
    again = await me.client.post(
        f"/api/cases/{case}/random-draw/commit",
        json={"client_id": str(uuid.uuid4()), "seed_sha256": seed_commitment("另一个"), **pools},
    )
    assert again.status_code == 409 and again.json()["code"] == "draw_commit_pending"

    wrong = await me.client.post(
        f"/api/cases/{case}/random-draw/reveal",
        json={"client_id": str(uuid.uuid4()), "commit_entry": commit_hash, "seed": "另一个种子"},
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "draw_seed_mismatch"
    # The draw is the officer's seed mixed with the commitment's own hash, which nobody knew before.
    expected = draw_for(commit.json()["payload"], seed, commit_hash)
    not_drawn = [t for t in pools["target_pool"] if t not in expected.targets][:1]
    liked = await me.client.post(
        f"/api/cases/{case}/random-draw/reveal",
        json={
            "client_id": str(uuid.uuid4()),
            "commit_entry": commit_hash,
            "seed": seed,
            "targets": not_drawn,
            "inspectors": expected.inspectors,
        },
    )
    assert liked.status_code == 400 and liked.json()["code"] == "draw_result_mismatch"
    reveal = await me.client.post(
        f"/api/cases/{case}/random-draw/reveal",
        json={"client_id": str(uuid.uuid4()), "commit_entry": commit_hash, "seed": seed},
    )
    assert reveal.status_code == 201, reveal.text
    drawn = reveal.json()["payload"]
    assert drawn["targets"] == expected.targets and drawn["inspectors"] == expected.inspectors
    redraw = await me.client.post(
        f"/api/cases/{case}/random-draw/commit",
        json={"client_id": str(uuid.uuid4()), "seed_sha256": seed_commitment("第三个"), **pools},
    )
    assert redraw.status_code == 409 and redraw.json()["code"] == "draw_already_made"
    await me.film(case, commit_hash, step="record.random_draw_reveal")
    [target] = drawn["targets"]
    await me.signed_record(
        case,
        "record.onsite_inspection",
        {"target": target, "findings": "劳动合同签订率100%，未发现违法"},
    )
    await me.record(
        case, "record.archive", {"dossier_number": "蒸人社查〔2025〕12号", "archivist": "档案员"}
    )
    reqs = await me.compliance(case)
    assert problems(reqs) == []
    assert one(reqs, "random_draw:")["status"] == "met"
    assert one(reqs, "random_draw_reveal:")["status"] == "met"
    assert one(reqs, "av:random_draw_video:")["status"] == "met"


async def test_a_lost_seed_is_abandoned_with_a_reason_and_the_supervisor_sees_it(officer_of):
    me = await officer_of("zhengxiang-hrss")
    case = await me.open(
        title="双随机抽查（种子遗失）",
        enforcement_kind="inspection",
        start_path="random_inspection",
    )
    pools = {
        "method": "随机摇号",
        "target_pool": ["甲劳务公司", "乙建筑公司"],
        "inspector_pool": ["E001", "E002"],
        "target_count": 1,
        "inspector_count": 2,
    }

    async def commit(seed: str):
        body = {"client_id": str(uuid.uuid4()), "seed_sha256": seed_commitment(seed), **pools}
        return await me.client.post(f"/api/cases/{case}/random-draw/commit", json=body)

    first = (await commit("丢失的种子")).json()["hash"]
    no_reason = await me.client.post(
        f"/api/cases/{case}/random-draw/abandon",
        json={"client_id": str(uuid.uuid4()), "commit_entry": first, "reason": " "},
    )
    assert no_reason.status_code == 400
    abandoned = await me.client.post(
        f"/api/cases/{case}/random-draw/abandon",
        json={
            "client_id": str(uuid.uuid4()),
            "commit_entry": first,
            "reason": "平板电脑故障，种子丢失",
        },
    )
    assert abandoned.status_code == 201, abandoned.text
    late_reveal = await me.client.post(
        f"/api/cases/{case}/random-draw/reveal",
        json={"client_id": str(uuid.uuid4()), "commit_entry": first, "seed": "丢失的种子"},
    )
    assert late_reveal.status_code == 409
    second = await commit("新的种子")
    assert second.status_code == 201, second.text
    reveal = await me.client.post(
        f"/api/cases/{case}/random-draw/reveal",
        json={
            "client_id": str(uuid.uuid4()),
            "commit_entry": second.json()["hash"],
            "seed": "新的种子",
        },
    )
    assert reveal.status_code == 201, reveal.text
    req = (await me.compliance(case))[f"random_draw_reveal:{first}"]
    assert req["status"] == "missing"
    assert "平板电脑故障" in req["message_zh"]
    assert req["citation"] == {"file": "zhengxiang-hrss-2017.txt", "article": 11}


async def test_pingluo_party_refuses_to_sign_and_two_officers_attest(officer_of, approver_of):
    me = await officer_of("pingluo-transport")
    head = await approver_of("pingluo-transport")
    case = await me.open(title="某运输公司超限运输案", parties=[party()])
    await me.record(
        case,
        "record.case_opening_approval",
        {"reason": "路面巡查发现超限", "handler_opinion": "建议立案"},
    )
    inquiry = await me.record(
        case,
        "record.inquiry",
        {"person": "王某", "transcript": "问：……答：……", "signatures": signed(refusing="party")},
    )
    onsite = await me.signed_record(
        case, "record.onsite_inspection", {"target": "豫A12345货车", "findings": "超限35%"}
    )
    await me.film(case, onsite)
    await me.signed_record(
        case, "record.rights_notice", {"rights": ["statement", "defence"], "how_told": "in_person"}
    )
    await me.record(
        case,
        "record.handler_proposal",
        {"facts": "超限运输", "legal_basis": "《公路法》", "proposal": "罚款", "drafter": "张执法"},
    )
    await me.record(
        case, "record.legal_review", {"reviewer": "法制科", "opinion": "事实清楚，同意"}
    )
    await head.record(case, "record.head_approval", {"approved": True, "head_name": "负责人"})
    await me.record(
        case,
        "record.decision",
        {
            "party": "王某",
            "outcome": "罚款3000元",
            "legal_basis": "《公路法》",
            "remedies": "六十日内复议",
            "agency_name": "平罗县交通运输综合行政执法大队",
        },
    )
    await me.signed_record(
        case,
        "record.service_direct",
        {"document_name": "行政处罚决定书", "recipient": "王某", "served_at": iso(NOW)},
    )
    await me.record(case, "record.performance", {"performed": True})
    await me.record(
        case, "record.archive", {"dossier_number": "平交执罚〔2025〕8号", "archivist": "档案员"}
    )
    reqs = await me.compliance(case)
    assert problems(reqs) == []
    assert reqs[f"signatures:{inquiry}"]["status"] == "met"


async def test_lingchuan_fines_on_the_spot_and_prints_the_decision_letter(officer_of):
    me = await officer_of("lingchuan-finance")
    case = await me.open(title="某代理记账机构未按规定建账", procedure="simplified")
    await me.record(
        case,
        "record.simplified_procedure",
        {
            "conditions": "事实确凿，罚款200元，有法定依据",
            "steps": "出示证件、告知权利、听取陈述、当场决定",
            "statement": "无异议",
        },
    )
    decision = await me.record(
        case,
        "record.decision",
        {
            "document_number": "陵财罚〔2025〕2号",
            "party": "王某",
            "outcome": "当场罚款200元",
            "legal_basis": "《会计法》第四十二条",
            "remedies": "六十日内申请行政复议或六个月内提起行政诉讼",
            "agency_name": "陵川县财政局",
            "fine_amount": 200,
        },
    )
    letter = await me.client.post(
        f"/api/cases/{case}/documents",
        json={
            "client_id": str(uuid.uuid4()),
            "document_kind": "decision_letter",
            "renders": decision,
        },
    )
    assert letter.status_code == 201, letter.text
    [sha] = letter.json()["blobs"]
    pdf = await me.client.get(f"/api/cases/{case}/documents/{sha}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == sha
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert get_pack("lingchuan-finance").agency_name in text
    assert "陵财罚〔2025〕2号" in text and decision in text
    await me.signed_record(
        case,
        "record.service_direct",
        {"document_name": "当场处罚决定书", "recipient": "王某", "served_at": iso(NOW)},
    )
    await me.record(
        case, "record.archive", {"dossier_number": "陵财档〔2025〕2号", "archivist": "档案员"}
    )
    assert problems(await me.compliance(case)) == []


async def test_hebei_keeps_a_daily_patrol_recording_six_months(officer_of):
    from backend.review.retention import add_period, record_class

    # A supervisor films the patrol here so the same person can read the agency timeline back.
    me = await officer_of("hebei-hrss", ("officer", "supervisor"))
    patrol_at = NOW - timedelta(hours=3)
    patrol = await me.film(
        "agency:hebei-hrss", captured=patrol_at, caption="日常巡查：建筑工地农民工工资公示"
    )
    timeline = (await me.client.get("/api/cases/agency:hebei-hrss/timeline")).json()["entries"]
    [entry] = [e for e in timeline if e["hash"] == patrol]
    from backend.ledger.entry import Entry

    stored = Entry(log_index=entry["log_index"], hash=entry["hash"], body=entry)
    period = {r["class"]: r for r in get_pack("hebei-hrss").data["retention"]}["patrol_av"]
    assert record_class(stored) == "patrol_av"
    assert period["period"] == "P6M" and period["citation"]["article"] == 14
    kept_until = add_period(patrol_at, period["period"])
    assert kept_until is not None and kept_until - patrol_at >= timedelta(days=181)

    case = await me.open(title="巡查发现某工地未公示工资", enforcement_kind="inspection")
    await me.record(
        case,
        "record.case_opening_approval",
        {"reason": "日常巡查发现", "handler_opinion": "立案检查"},
    )
    inspection = await me.signed_record(
        case, "record.onsite_inspection", {"target": "某建筑工地", "findings": "已当场整改公示"}
    )
    await me.film(case, inspection)
    await me.record(
        case, "record.archive", {"dossier_number": "冀人社查〔2025〕5号", "archivist": "档案员"}
    )
    assert problems(await me.compliance(case)) == []


# -- broken cases, flagged with the article ------------------------------------------------------


async def test_av_uploaded_25_hours_late_under_pingluo_24_hour_rule(officer_of):
    me = await officer_of("pingluo-transport")
    case = await me.open(title="超限检查", enforcement_kind="inspection")
    inspection = await me.signed_record(
        case, "record.onsite_inspection", {"target": "货车", "findings": "超限"}
    )
    video = await me.film(case, inspection, captured=NOW - timedelta(hours=25))
    req = (await me.compliance(case))[f"av_upload:{video}"]
    assert req["status"] == "late" and req["late_by_s"] >= 3600 - 120
    assert req["citation"] == {"file": "pingluo-transport-enforcement.txt", "article": 23}


async def test_left_at_residence_service_without_video_is_flagged(officer_of):
    me = await officer_of("zhengxiang-hrss")
    case = await me.open(title="拒收决定书")
    served = await me.signed_record(
        case,
        "record.service_left_at_residence",
        {
            "document_name": "行政处罚决定书",
            "recipient": "王某",
            "refusal_reason": "拒绝签收",
            "served_at": iso(NOW),
            "place": "王某住所",
        },
    )
    req = (await me.compliance(case))[f"av:service_left_video:{served}"]
    assert req["status"] == "missing"
    assert req["citation"] == {"file": "zhengxiang-hrss-2017.txt", "article": 22}


async def test_emergency_start_never_approved_is_flagged(officer_of):
    me = await officer_of("mingshan-emergency")
    case = await me.open(title="危化品泄漏紧急处置", start_path="emergency")
    start = await me.record(
        case,
        "record.emergency_start",
        {"reason": "危化品泄漏", "started_at": iso(NOW - timedelta(hours=30))},
        at=NOW - timedelta(hours=30),
    )
    req = (await me.compliance(case))[f"emergency_approval:{start}"]
    assert req["status"] == "missing"
    assert req["citation"] == {"file": "mingshan-emergency-management.txt", "article": 8}


async def test_dossier_not_archived_within_zhengxiang_20_days(officer_of):
    me = await officer_of("zhengxiang-hrss")
    case = await me.open(title="工伤保险费征收", enforcement_kind="inspection")
    await me.signed_record(
        case,
        "record.onsite_inspection",
        {"target": "某公司", "findings": "已整改"},
        at=NOW - timedelta(days=25),
    )
    req = (await me.compliance(case))["archive"]
    assert req["status"] == "missing" and req["late_by_s"] > 4 * 86400
    assert req["citation"] == {"file": "zhengxiang-hrss-2017.txt", "article": 29}


async def test_pingluo_penalty_decided_without_legal_review(officer_of):
    me = await officer_of("pingluo-transport")
    case = await me.open(title="未经法制审核的处罚")
    decision = await me.record(
        case,
        "record.decision",
        {
            "party": "王某",
            "outcome": "罚款",
            "legal_basis": "《公路法》",
            "remedies": "复议",
            "agency_name": "平罗县交通运输综合行政执法大队",
        },
    )
    req = (await me.compliance(case))[f"prerequisite:legal_review:{decision}"]
    assert req["status"] == "missing"
    assert req["citation"] == {"file": "pingluo-transport-enforcement.txt", "article": 9}


async def test_mingshan_enforcement_without_an_urging_notice_is_flagged(officer_of):
    me = await officer_of("mingshan-emergency")
    case = await me.open(title="逾期未缴罚款强制执行", enforcement_kind="coercion")
    measure = await me.signed_record(
        case,
        "record.enforcement_measure",
        {"method": "transfer_deposit", "details": "划拨存款5000元"},
    )
    req = (await me.compliance(case))[f"prerequisite:urging_before_enforcement:{measure}"]
    assert req["status"] == "missing"
    assert req["citation"] == {"file": "mingshan-emergency-management.txt", "article": 29}
    assert "催告书" in req["message_zh"]


async def test_a_reveal_cannot_be_appended_behind_the_draw_api(officer_of):
    me = await officer_of("zhengxiang-hrss")
    case = await me.open(
        title="绕过抽取接口", enforcement_kind="inspection", start_path="random_inspection"
    )
    for kind in ("record.random_draw_commit", "record.random_draw_reveal"):
        response = await me.client.post(
            f"/api/cases/{case}/entries",
            json={
                "kind": kind,
                "client_id": str(uuid.uuid4()),
                "payload": {"commit_entry": "a" * 64, "seed": "x", "targets": ["甲"]},
            },
        )
        assert response.status_code == 403 and response.json()["code"] == "reserved_kind"


async def test_only_a_supervisor_or_approver_waives_a_requirement(officer_of):
    me = await officer_of("hebei-hrss")
    case = await me.open(title="豁免测试", enforcement_kind="inspection")
    waiver = {
        "kind": "record.waiver",
        "client_id": str(uuid.uuid4()),
        "payload": {"requirement_id": "step:x", "reason": "自己豁免", "approved_by": "我"},
    }
    refused = await me.client.post(f"/api/cases/{case}/entries", json=waiver)
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    boss = await officer_of("mingshan-emergency", ("officer", "supervisor"))
    case = await boss.open(title="危化品泄漏紧急处置", start_path="emergency")
    start = await boss.record(
        case,
        "record.emergency_start",
        {"reason": "危化品泄漏", "started_at": iso(NOW - timedelta(hours=30))},
        at=NOW - timedelta(hours=30),
    )
    missing = f"emergency_approval:{start}"
    assert (await boss.compliance(case))[missing]["status"] == "missing"
    await boss.record(
        case,
        "record.waiver",
        {"requirement_id": missing, "reason": "负责人因公殉职", "approved_by": "监督员"},
    )
    assert (await boss.compliance(case))[missing]["status"] == "waived"
