"""The compliance engine: what an agency's rule pack requires of one case's timeline, and whether it is met.

`evaluate` is a pure function of (pack, entries, now). Entries are ledger entry bodies in seq order with
their `hash` added. A correction (`corrects.hash`) replaces the payload of what it corrects, but the
record keeps the original's time: the moment something was recorded does not move when it is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from backend import workdays
from backend.cases import random_draw
from backend.cases import stages as stage_projection
from backend.cases.capture_time import capture_moment
from backend.cases.citations import cite_en, cite_zh
from backend.cases.rules import KINDS_DIR, RulePack
from backend.ledger.kinds import latest_schema
from backend.moments import aware, parse_iso

MEDIA_KINDS = {"media.photo": "photo", "media.audio": "audio", "media.video": "video"}
LINKED_RECORDING = "recording.linked"  # a recorder or CCTV file imported once, linked per case


def media_type_of(record: _Record) -> str | None:
    """photo, audio or video for capture entries and for linked recorder files."""
    if record.kind == LINKED_RECORDING:
        mime = str(record.payload.get("media_type") or "video/")
        return "audio" if mime.startswith("audio/") else "video"
    return MEDIA_KINDS.get(record.kind)


# `due`: required but its deadline has not passed yet (not a problem); `refused`: an approver said no.
STATUSES = ("met", "due", "missing", "late", "refused", "waived", "not_applicable")
PROBLEM_STATUSES = ("missing", "late", "refused")

SIGNATURE_KIND = "signature.passkey"
APPROVAL_RECORDS = ("record.head_approval",)
# A passkey signature's meaning as an approver's decision (the role is checked when signing).
DECISION_MEANINGS = {"approve": "approved", "refuse": "refused", "return": "returned"}
# Records whose passkey approval is the head's approval of the decision (the head_approval step).
DOCUMENT_KIND = "document.generated"
HEAD_APPROVED_KINDS = ("record.handler_proposal", "record.collective_discussion", "record.decision")
# Passkey meanings by which officers put their name to a record after it was sent.
OFFICER_MEANINGS = ("co_sign", "attest_refusal")


@dataclass(frozen=True)
class Requirement:
    """One rule applied to one case (or one record of it), with its outcome and citation."""

    id: str
    status: str
    citation: dict[str, Any]
    message_zh: str
    message_en: str
    entry_hash: str | None = None
    late_by_s: int | None = None
    due_at: datetime | None = None
    notes: tuple[str, ...] = ()
    approval: dict[str, Any] | None = None


@dataclass(frozen=True)
class Approval:
    """An approver's decision on one record, however it was given (passkey or approval record)."""

    target: str | None
    decision: str  # approved | refused | returned
    by: str | None
    at: datetime | None
    how: str  # passkey | record
    entry_hash: str
    reason: str | None = None
    name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "by": self.by,
            "name": self.name,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z") if self.at else None,
            "how": self.how,
            "entry_hash": self.entry_hash,
            "reason": self.reason,
        }


@dataclass
class _Record:
    """An entry together with its corrections; `payload` and `hash` are the latest version's."""

    kind: str
    root: str
    hash: str
    payload: dict[str, Any]
    seq_index: int
    time: datetime | None
    received_at: datetime | None
    hashes: set[str]
    versions: list[dict[str, Any]]


def evaluate(pack: RulePack, entries: list[dict[str, Any]], now: datetime) -> list[Requirement]:
    """Every requirement the pack places on this case, in a stable order."""
    now = aware(now)
    records = _records(entries)
    facts = stage_projection.case_facts(entries)
    if not facts:
        return []
    case = _Case(pack, records, facts, entries, now)
    found = [
        *case.steps(),
        *case.prerequisites(),
        *case.av_matters(),
        *case.av_uploads(),
        *case.emergency_approvals(),
        *case.approval_decisions(),
        *case.archive_deadline(),
        *case.signatures(),
        *case.random_draws(),
        *case.record_evidence(),
    ]
    waived = {r.payload.get("requirement_id"): r for r in records if r.kind == "record.waiver"}
    return [_waive(req, waived[req.id]) if req.id in waived else req for req in found]


class _Case:
    """One case's records seen through one pack; each method returns one family of requirements."""

    def __init__(
        self,
        pack: RulePack,
        records: list[_Record],
        facts: dict[str, Any],
        entries: list[dict[str, Any]],
        now: datetime,
    ) -> None:
        self.pack = pack
        self.records: list[_Record] = records
        self.facts = facts
        self.entries = entries
        self.now = now
        self.opened = not stage_projection.not_opened(entries)
        self.stage = stage_projection.current_stage(entries)
        self.closed = not self.opened or self.stage == "archive"
        self.by_hash = {h: r for r in records for h in r.hashes}
        self.approvals = _approvals(records)
        self.members = _members(entries)
        self.zone = ZoneInfo(pack.data["agency"].get("timezone", "Asia/Shanghai"))

    def not_yet(self, due: datetime | None) -> bool:
        return due is not None and self.now <= due

    def head_decision(self) -> Approval | None:
        """The head's decision on the case: an approval record, or a passkey decision on the
        proposal, the discussion minutes or the decision itself. An approval outweighs a refusal
        of an earlier proposal (a new proposal was submitted and approved)."""
        decided = [
            a
            for a in self.approvals
            if a.how == "record"
            or (a.target in self.by_hash and self.by_hash[a.target].kind in HEAD_APPROVED_KINDS)
        ]
        for wanted in ("approved", "refused"):
            found = [a for a in decided if a.decision == wanted]
            if found:
                return found[0]
        return None

    def decision_on(self, record: _Record) -> Approval | None:
        """The approver's decision on a record: a refusal is final; a return counts only for the
        version it sent back (a correction puts the record before the approver again)."""
        mine = [
            a
            for a in self.approvals
            if a.target in record.hashes or a.target == f"kind:{record.kind}"
        ]
        for wanted in ("refused", "approved"):
            found = [a for a in mine if a.decision == wanted]
            if found:
                return found[0]
        returned = [a for a in mine if a.decision == "returned" and a.target == record.hash]
        return returned[0] if returned else None

    def officer_signers(self, record: _Record) -> set[str]:
        """Case members who put their name to the record with a passkey after it was sent."""
        return {
            s.versions[0].get("actor")
            for s in self.of_kind(SIGNATURE_KIND)
            if s.payload.get("signs") in record.hashes
            and s.payload.get("meaning") in OFFICER_MEANINGS
            and s.versions[0].get("actor") in self.members
        }

    def of_kind(self, *kinds: str) -> list[_Record]:
        return [r for r in self.records if r.kind in kinds]

    # -- required records per stage
    def steps(self) -> list[Requirement]:
        kind, procedure = self.facts.get("enforcement_kind"), self.facts.get("procedure")
        if self.pack.workflow(kind, procedure) is None:
            cite = {"basis": "domain default", "note": "pack has no workflow for this case"}
            return [
                _req(
                    "workflow",
                    "missing",
                    cite,
                    f"本机关规则未规定“{kind}/{procedure}”类案件的执法流程",
                    f"The rule pack has no workflow for {kind}/{procedure} cases",
                )
            ]
        reached = stage_projection.STAGES.index(self.stage)
        out = []
        steps = stage_projection.required_steps(
            self.pack, kind, procedure, self.facts.get("start_path"), self.opened
        )
        for step_id, step in steps:
            found = self.of_kind(*step["any_of"])
            zh, en, cite = step["title_zh"], step["title_en"], step["citation"]
            if "record.head_approval" in step["any_of"]:
                decided = self.head_decision()
                if decided is not None and decided.decision == "approved":
                    req = _req(f"step:{step_id}", "met", cite, f"已记录：{zh}",
                               f"Recorded: {en}", decided.entry_hash)  # fmt: skip
                    out.append(_with_approval(req, decided, self.zone))
                    continue
                if decided is not None and decided.decision == "refused":
                    out.append(_refused(f"step:{step_id}", cite, decided, zh, en, self.zone))
                    continue
            if found:
                out.append(
                    _req(
                        f"step:{step_id}",
                        "met",
                        cite,
                        f"已记录：{zh}",
                        f"Recorded: {en}",
                        found[0].hash,
                    )
                )
            elif (
                "record.archive" in step["any_of"]
                and self.closed
                and self.not_yet(self.archive_due())
            ):
                due = self.archive_due()
                out.append(_due(f"step:{step_id}", cite, None, due, zh, en, self.zone))
            elif self.closed or stage_projection.STAGES.index(step["stage"]) < reached:
                out.append(
                    _req(
                        f"step:{step_id}",
                        "missing",
                        cite,
                        f"缺少{zh}{_cite_zh(cite)}",
                        f"Missing: {en}{_cite_en(cite)}",
                    )
                )
        return out

    # -- records that must come first: legal review before the decision, urging before enforcement
    def prerequisites(self) -> list[Requirement]:
        out = []
        for pre in self.pack.data["prerequisites"]:
            relevant = _applies(pre["applies_to"], self.facts)
            cite = pre["citation"]
            before_zh = pre.get("before_zh", "作出决定")
            before_en = pre.get("before_en", "the decision")
            for target in self.of_kind(pre["before"]):
                rid = f"prerequisite:{pre['id']}:{target.root}"
                if not relevant:
                    out.append(
                        _req(
                            rid,
                            "not_applicable",
                            cite,
                            f"本案无需{pre['title_zh']}",
                            f"Not required here: {pre['title_en']}",
                            target.hash,
                        )
                    )
                    continue
                earlier = [
                    r for r in self.of_kind(pre["record_kind"]) if r.seq_index < target.seq_index
                ]
                if earlier:
                    out.append(
                        _req(
                            rid,
                            "met",
                            cite,
                            f"已在{before_zh}前完成{pre['title_zh']}",
                            f"{pre['title_en']} done before {before_en}",
                            earlier[0].hash,
                        )
                    )
                else:
                    out.append(
                        _req(
                            rid,
                            "missing",
                            cite,
                            f"{before_zh}前缺少{pre['title_zh']}{_cite_zh(cite)}",
                            f"{before_en[:1].upper()}{before_en[1:]} made without "
                            f"{pre['title_en'].lower()}{_cite_en(cite)}",
                            target.hash,
                        )
                    )
        return out

    # -- records on the AV-recording list need media of the right type
    def av_matters(self) -> list[Requirement]:
        out = []
        for matter in self.pack.data["av_matters"]:
            when = matter.get("when")
            cite = matter["citation"]
            kinds = matter.get("enforcement_kinds")  # e.g. hebei §6 speaks of coercion only
            if kinds is not None and self.facts.get("enforcement_kind") not in kinds:
                continue
            for record in self.of_kind(*matter["record_kinds"]):
                if when and record.payload.get(when["field"]) not in when["in"]:
                    continue
                media = self.media_for(record, set(matter["media"]))
                rid = f"av:{matter['id']}:{record.root}"
                kinds_zh = "、".join(_MEDIA_ZH[m] for m in matter["media"])
                if media:
                    out.append(
                        _req(
                            rid,
                            "met",
                            cite,
                            f"已有音像记录：{matter['title_zh']}",
                            f"AV present: {matter['title_en']}",
                            record.hash,
                        )
                    )
                else:
                    out.append(
                        _req(
                            rid,
                            "missing",
                            cite,
                            f"缺少{kinds_zh}：{matter['title_zh']}{_cite_zh(cite)}",
                            f"No {'/'.join(matter['media'])} for: {matter['title_en']}{_cite_en(cite)}",
                            record.hash,
                        )
                    )
        return out

    def media_for(self, record: _Record, types: set[str] | None = None) -> list[_Record]:
        found = []
        for media in self.records:
            kind = media_type_of(media)
            if kind is None or (types is not None and kind not in types):
                continue
            # The draw's video may be filed against the commitment it was made under.
            linked = record.hashes | (
                {record.payload.get("commit_entry")}
                if record.kind == random_draw.REVEAL_KIND
                else set()
            )
            if media.payload.get("for_entry") in linked or media.payload.get("step") == record.kind:
                found.append(media)
        return found

    # -- upload deadline for every piece of AV
    def av_uploads(self) -> list[Requirement]:
        rule = self.pack.deadlines["av_upload"]
        remote = self.pack.deadlines["av_upload_remote_return"]
        out = []
        for media in self.records:
            if media.kind == LINKED_RECORDING:
                out.append(self._linked_upload(media, rule["citation"]))
                continue
            if media.kind not in MEDIA_KINDS:
                continue
            rid = f"av_upload:{media.root}"
            captured, _ = capture_moment(
                media.versions[0].get("claimed"), media.payload.get("findings")
            )
            if captured is None or media.received_at is None:
                out.append(
                    _req(
                        rid,
                        "not_applicable",
                        rule["citation"],
                        "无拍摄时间，无法计算上传期限",
                        "No capture time; upload deadline cannot be computed",
                        media.hash,
                    )
                )
                continue
            notes: tuple[str, ...] = ()
            cite = rule["citation"]
            back = _parse(media.payload.get("remote_area_return_at"))
            if back is not None and media.payload.get("remote_area_reason"):
                due = back + timedelta(hours=remote["hours"])
                cite = remote["citation"]
                span_zh, span_en = (
                    f"返回后{remote['hours']}小时内",
                    f"within {remote['hours']} h of return",
                )
            elif "hours" in rule:
                due = captured + timedelta(hours=rule["hours"])
                span_zh, span_en = f"{rule['hours']}小时内", f"within {rule['hours']} h"
            else:
                due = workdays.end_of_day(workdays.add_working_days(captured, rule["working_days"]))
                notes = tuple(
                    f"calendar not published for {y}; weekdays used"
                    for y in workdays.weekday_fallback_years(captured, due)
                )
                span_zh, span_en = (
                    f"{rule['working_days']}个工作日内",
                    f"within {rule['working_days']} working days",
                )
            out.append(
                self._deadline(
                    rid,
                    cite,
                    media.received_at,
                    due,
                    media.hash,
                    f"音像记录应在{span_zh}上传",
                    f"AV must be uploaded {span_en}",
                    notes,
                )
            )
        return out

    # -- emergency start: head's approval within N hours (a passkey approval or an approval record)
    def emergency_approvals(self) -> list[Requirement]:
        rule = self.pack.deadlines["emergency_approval"]
        cite = rule["citation"]
        out = []
        for start in self.of_kind("record.emergency_start"):
            began = _parse(start.payload.get("started_at")) or start.time
            due = began + timedelta(hours=rule["hours"])
            decision = self.decision_on(start)
            rid = f"emergency_approval:{start.root}"
            what_zh = f"紧急启动后{rule['hours']}小时内报负责人补办批准"
            what_en = f"head's approval of an emergency start within {rule['hours']} h"
            if decision is not None and decision.decision == "approved":
                req = self._deadline(
                    rid, cite, decision.at, due, decision.entry_hash, what_zh, what_en
                )
                out.append(_with_approval(req, decision, self.zone))
            elif decision is not None and decision.decision == "refused":
                out.append(
                    _refused(rid, cite, decision, "紧急启动", "the emergency start", self.zone)
                )
            elif self.now > due:
                out.append(
                    _req(
                        rid,
                        "missing",
                        cite,
                        f"紧急启动未经负责人批准：{what_zh}{_cite_zh(cite)}",
                        f"Emergency start never approved: {what_en}{_cite_en(cite)}",
                        start.hash,
                        due_at=due,
                    )
                )
            else:
                out.append(_due(rid, cite, start.hash, due, what_zh, what_en, self.zone))
        return out

    # -- every other approver's decision on a record: who decided, when, how; refusals stand out
    def approval_decisions(self) -> list[Requirement]:
        cite = {"basis": "domain default", "note": "approvals by passkey or approval record"}
        out = []
        for record in self.records:
            if record.kind in (SIGNATURE_KIND, "record.emergency_start", *APPROVAL_RECORDS):
                continue
            decision = self.decision_on(record)
            if decision is None:
                continue
            rid = f"approval:{record.root}"
            title_zh, title_en = _kind_titles(record.kind)
            if decision.decision == "refused":
                out.append(_refused(rid, cite, decision, title_zh, title_en, self.zone))
            elif decision.decision == "returned":
                reason = decision.reason or ""
                req = _req(
                    rid,
                    "missing",
                    cite,
                    f"{title_zh}已退回补正，待承办人更正后重新提交（理由：{reason}）",
                    f"{title_en} returned for correction (reason: {reason})",
                    record.hash,
                )
                out.append(replace(req, approval=decision.as_json()))
            else:
                req = _req(
                    rid,
                    "met",
                    cite,
                    f"{title_zh}已批准",
                    f"{title_en} approved",
                    record.hash,
                )
                out.append(_with_approval(req, decision, self.zone))
        return out

    # -- dossier archived within N days of the end of the action
    def archive_due(self) -> datetime | None:
        """24:00 local time of the N-th day after the action ended (the day it ended not counted)."""
        rule = self.pack.deadlines["archive"]
        flow = self.pack.workflow(self.facts.get("enforcement_kind"), self.facts.get("procedure"))
        ends = list(flow["ends_with"]) if flow else []
        if not self.opened:
            ends += ["record.complaint_handling", "record.application_decision"]
        enders = [r for r in self.of_kind(*ends) if r.time is not None]
        if not enders:
            return None
        ended = max(r.time for r in enders).astimezone(self.zone)
        return workdays.end_of_day(ended + timedelta(days=rule["days"]), self.zone)

    def archive_deadline(self) -> list[Requirement]:
        rule = self.pack.deadlines["archive"]
        due = self.archive_due()
        if due is None:
            return []
        archives = self.of_kind("record.archive")
        what_zh = f"执法行为终结后{rule['days']}日内立卷归档"
        what_en = f"dossier archived within {rule['days']} days of the end of the action"
        if archives:
            return [
                self._deadline(
                    "archive",
                    rule["citation"],
                    archives[0].received_at,
                    due,
                    archives[0].hash,
                    what_zh,
                    what_en,
                )
            ]
        if self.now > due:
            late = int((self.now - due).total_seconds())
            return [
                _req(
                    "archive",
                    "missing",
                    rule["citation"],
                    f"案卷逾期未归档：{what_zh}{_cite_zh(rule['citation'])}",
                    f"Dossier not archived in time: {what_en}{_cite_en(rule['citation'])}",
                    late_by_s=late,
                    due_at=due,
                )
            ]
        return [_due("archive", rule["citation"], None, due, what_zh, what_en, self.zone)]

    # -- random inspection draws: committed before, revealed after, re-computable, on video, drawn once
    def random_draws(self) -> list[Requirement]:
        step = self.pack.steps.get("random_draw_reveal") or self.pack.steps.get("random_draw")
        cite = step["citation"] if step else {"basis": "domain default"}
        by_root = {r.root: r for r in self.records}
        commitments = random_draw.history(self.entries)
        owner = {r["hash"]: c for c in commitments for r in c.reveals}
        out = []
        for reveal in self.of_kind(random_draw.REVEAL_KIND):
            rid = f"random_draw:{reveal.root}"
            commitment = owner.get(reveal.root)
            if commitment is None:
                out.append(
                    _req(
                        rid,
                        "missing",
                        cite,
                        f"抽取结果没有事先的种子承诺{_cite_zh(cite)}",
                        f"Draw result revealed without a prior seed commitment{_cite_en(cite)}",
                        reveal.hash,
                    )
                )
                continue
            commit = by_root[commitment.hash]
            problems = random_draw.reveal_problems(
                commit.versions[0].get("payload") or {},
                reveal.versions[0].get("payload") or {},
                commit.root,
            )
            if len(commit.versions) > 1:
                problems.append("commit_corrected")
            if len(reveal.versions) > 1:
                problems.append("reveal_corrected")
            if problems:
                zh = "；".join(random_draw.PROBLEM_TEXT[p][0] for p in problems)
                en = "; ".join(random_draw.PROBLEM_TEXT[p][1] for p in problems)
                out.append(
                    _req(
                        rid,
                        "missing",
                        cite,
                        f"抽取结果无法复核（{zh}）{_cite_zh(cite)}",
                        f"Draw does not verify ({en}){_cite_en(cite)}",
                        reveal.hash,
                    )
                )
            else:
                out.append(
                    _req(
                        rid,
                        "met",
                        cite,
                        "抽取结果与承诺的种子及承诺记录复算一致",
                        "Draw verified against the committed seed and the commitment entry",
                        reveal.hash,
                    )
                )
            covered = any(
                reveal.kind in m["record_kinds"] and "video" in m["media"]
                for m in self.pack.data["av_matters"]
            )
            if not covered:  # packs that list the draw video check it in av_matters already
                video = self.media_for(reveal, {"video"})
                zh, en = "双随机抽取过程录像", "video of the random draw"
                out.append(
                    _req(
                        f"random_draw_video:{reveal.root}",
                        "met" if video else "missing",
                        cite,
                        f"已有{zh}" if video else f"缺少{zh}{_cite_zh(cite)}",
                        f"Present: {en}" if video else f"No {en}{_cite_en(cite)}",
                        reveal.hash,
                    )
                )
        moved_on = self.closed or self.stage != "start"
        for c in commitments:
            fate = _commitment_fate(c, moved_on, self.now)
            if fate is None:
                continue  # still open, and the case has not moved on: the reveal may yet come
            status, zh, en = fate
            if status == "missing":
                zh, en = f"{zh}{_cite_zh(cite)}", f"{en}{_cite_en(cite)}"
            out.append(_req(f"random_draw_reveal:{c.hash}", status, cite, zh, en, c.hash))
        return out

    # -- payload evidence a record needs (postal receipt and return card), when the pack lists it
    def record_evidence(self) -> list[Requirement]:
        out = []
        for rule in self.pack.data.get("record_evidence", []):
            cite = rule["citation"]
            for record in self.of_kind(*rule["record_kinds"]):
                absent = [f for f in rule["fields"] if not record.payload.get(f)]
                rid = f"evidence:{rule['id']}:{record.root}"
                if absent:
                    out.append(
                        _req(
                            rid,
                            "missing",
                            cite,
                            f"缺少{rule['title_zh']}（{'、'.join(absent)}）{_cite_zh(cite)}",
                            f"Missing {rule['title_en']} ({', '.join(absent)}){_cite_en(cite)}",
                            record.hash,
                        )
                    )
                else:
                    zh, en = f"已有{rule['title_zh']}", f"Present: {rule['title_en']}"
                    out.append(_req(rid, "met", cite, zh, en, record.hash))
        return out

    # -- signatures, refusals, page and correction confirmations
    def signatures(self) -> list[Requirement]:
        sig = self.pack.data["signatures"]
        out = []
        for rule in sig["rules"]:
            for record in self.of_kind(*rule["record_kinds"]):
                out.extend(self._signature_checks(record, rule, sig))
        return out

    def _signature_checks(self, record: _Record, rule: dict, sig: dict) -> list[Requirement]:
        sigs = record.payload.get("signatures") or []

        def signed(role):
            return [s for s in sigs if s.get("role") == role and s.get("method") != "refused"]

        refusal = sig["refusal"]
        problems_zh, problems_en = [], []
        refused_roles = set()
        # Officers sign in the record, or with passkeys once it is sent (co-sign / attest a refusal);
        # the larger count is taken, since a name in the record may be the same officer's passkey.
        officers = max(len(signed("officer")), len(self.officer_signers(record)))
        for role in rule["roles"]:
            if role == "officer":
                need = rule.get("min_officers", 1)
                if officers < need:
                    problems_zh.append(f"执法人员签名不足{need}人")
                    problems_en.append(f"fewer than {need} officers signed")
                continue
            if signed(role):
                continue
            refused = [s for s in sigs if s.get("role") == role and s.get("method") == "refused"]
            if not refused:
                problems_zh.append(f"缺少{_ROLE_ZH[role]}签名")
                problems_en.append(f"no {role} signature")
                continue
            refused_roles.add(role)
            paths = []
            if "witness" in refusal["accepts"] and signed("witness"):
                paths.append("witness")
            if "two_officers" in refusal["accepts"] and officers >= 2:
                paths.append("two_officers")
            if not all(s.get("refusal_reason") for s in refused):
                problems_zh.append(f"{_ROLE_ZH[role]}拒签未注明情况")
                problems_en.append(f"{role} refusal not noted")
            if not paths:
                # Name only what this agency accepts (pingluo §14 takes no witness).
                accepted = [_REFUSAL_PATHS[a] for a in refusal["accepts"]]
                problems_zh.append(
                    f"{_ROLE_ZH[role]}拒签，但无{'或'.join(zh for zh, _ in accepted)}"
                )
                problems_en.append(
                    f"{role} refused and there is no {' or '.join(en for _, en in accepted)}"
                )
            if refusal["av_required"] and not self.media_for(record):
                problems_zh.append(f"{_ROLE_ZH[role]}拒签，缺少音像记录")
                problems_en.append(f"{role} refused and there is no AV of it")
        cite = refusal["citation"] if refused_roles and problems_zh else rule["citation"]
        rid = f"signatures:{record.root}"
        out = [
            _req(
                rid,
                "missing",
                cite,
                f"签名不全（{'；'.join(problems_zh)}）{_cite_zh(cite)}",
                f"Signatures incomplete ({'; '.join(problems_en)}){_cite_en(cite)}",
                record.hash,
            )
            if problems_zh
            else _req(rid, "met", cite, "签名齐全", "Signatures complete", record.hash)
        ]
        confirmers = [r for r in rule["roles"] if r != "officer" and r not in refused_roles]
        pages = int(record.payload.get("pages") or 1)
        if sig["per_page"]["required"] and pages > 1 and confirmers:
            cite = sig["per_page"]["citation"]
            gaps = sorted(
                {
                    p
                    for p in range(1, pages + 1)
                    for role in confirmers
                    if p not in {s.get("page") for s in signed(role)}
                }
            )
            rid = f"signatures_pages:{record.root}"
            out.append(
                _req(
                    rid,
                    "missing",
                    cite,
                    f"多页记录第{'、'.join(map(str, gaps))}页缺少逐页确认（骑缝手印）{_cite_zh(cite)}",
                    f"Pages {', '.join(map(str, gaps))} lack a per-page confirmation{_cite_en(cite)}",
                    record.hash,
                )
                if gaps
                else _req(rid, "met", cite, "每页均已确认", "Every page confirmed", record.hash)
            )
        if sig["per_correction"]["required"] and len(record.versions) > 1 and confirmers:
            cite = sig["per_correction"]["citation"]
            for before, after in zip(record.versions, record.versions[1:], strict=False):
                old = {_sig_key(s) for s in (before.get("payload") or {}).get("signatures") or []}
                fresh = [
                    s
                    for s in (after.get("payload") or {}).get("signatures") or []
                    if _sig_key(s) not in old
                    and s.get("role") in confirmers
                    and s.get("method") != "refused"
                ]
                rid = f"signatures_correction:{after['hash']}"
                out.append(
                    _req(rid, "met", cite, "更正处已确认", "Correction confirmed", after["hash"])
                    if fresh
                    else _req(
                        rid,
                        "missing",
                        cite,
                        f"更正未经当事人确认（更正处捺手印）{_cite_zh(cite)}",
                        f"Correction not confirmed by the party{_cite_en(cite)}",
                        after["hash"],
                    )
                )
        return out

    def _linked_upload(self, link: _Record, default_cite: dict[str, Any]) -> Requirement:
        """A recorder file's deadline ran from the end of the recording to its import (judged
        then, on the agency timeline); linking it to the case later does not make it late."""
        rid = f"av_upload:{link.root}"
        verdict = link.payload.get("deadline")
        if not verdict:
            return _req(rid, "not_applicable", default_cite, "无录制结束时间，无法计算上传期限",
                        "No recording end time; upload deadline cannot be computed", link.hash)  # fmt: skip
        cite = verdict.get("citation") or default_cite
        due = _parse(verdict["deadline"])
        if not verdict["late"]:
            return _req(rid, "met", cite, "执法记录仪文件已按时导入",
                        "Recorder file imported in time", link.hash)  # fmt: skip
        late_s = int(float(verdict["late_by_h"]) * 3600)
        reason = verdict.get("reason")
        return Requirement(
            id=rid,
            status="late",
            citation=cite,
            message_zh=f"执法记录仪文件导入迟延{_span_zh(late_s)}{_cite_zh(cite)}"
            + (f"（说明：{reason}）" if reason else ""),
            message_en=f"Recorder file imported {_span_en(late_s)} late{_cite_en(cite)}"
            + (f" (reason: {reason})" if reason else ""),
            entry_hash=link.hash,
            late_by_s=late_s,
            due_at=due,
        )

    def _deadline(
        self, rid, cite, done_at, due, entry_hash, what_zh, what_en, notes=()
    ) -> Requirement:
        note_zh = "".join(f"（{_note_zh(n)}）" for n in notes)
        note_en = "".join(f" ({n})" for n in notes)
        if done_at is not None and done_at <= due:
            return _req(
                rid,
                "met",
                cite,
                f"按时完成：{what_zh}{note_zh}",
                f"On time: {what_en}{note_en}",
                entry_hash,
                due_at=due,
                notes=notes,
            )
        late = int(((done_at or self.now) - due).total_seconds())
        return _req(
            rid,
            "late",
            cite,
            f"逾期{_span_zh(late)}：{what_zh}{_cite_zh(cite)}{note_zh}",
            f"Late by {_span_en(late)}: {what_en}{_cite_en(cite)}{note_en}",
            entry_hash,
            late_by_s=late,
            due_at=due,
            notes=notes,
        )


def _commitment_fate(
    c: random_draw.Commitment, moved_on: bool, now: datetime
) -> tuple[str, str, str] | None:
    """Whether one draw commitment was honoured: revealed in time, and the only draw of its case."""
    if c.abandon is not None:
        reason = (c.abandon.get("payload") or {}).get("reason", "")
        return (
            "missing",
            f"抽取承诺已放弃，未公布结果（理由：{reason}）",
            f"Draw commitment abandoned without a reveal (reason: {reason})",
        )
    if c.superseded_by is not None:
        return (
            "missing",
            "抽取承诺未公布即重新承诺（可能重新抽取）",
            "Draw committed again before this commitment was revealed (possible re-draw)",
        )
    if c.after_draw:
        return (
            "missing",
            "本案已完成随机抽取后又进行抽取（重新抽取）",
            "Another draw after this case's draw was revealed (re-draw)",
        )
    if c.reveals:
        return ("met", "抽取承诺已公布结果", "Draw commitment revealed")
    if moved_on:
        return (
            "missing",
            "已承诺随机种子但未公布抽取结果",
            "Seed committed but the draw never revealed",
        )
    if now > c.reveal_due:
        hours = int(random_draw.REVEAL_WITHIN.total_seconds() // 3600)
        return (
            "missing",
            f"抽取承诺超过{hours}小时未公布结果",
            f"Draw committed but not revealed within {hours} hours",
        )
    return None


def _records(entries: list[dict[str, Any]]) -> list[_Record]:
    records: list[_Record] = []
    root_of: dict[str, _Record] = {}
    for index, entry in enumerate(entries):
        target = (entry.get("corrects") or {}).get("hash")
        if target in root_of:
            record = root_of[target]
            record.hash = entry["hash"]
            record.payload = entry.get("payload") or {}
            record.hashes.add(entry["hash"])
            record.versions.append(entry)
            root_of[entry["hash"]] = record
            continue
        received = _parse(entry.get("received_at"))
        record = _Record(
            kind=entry.get("kind", ""),
            root=entry["hash"],
            hash=entry["hash"],
            payload=entry.get("payload") or {},
            seq_index=index,
            time=_parse((entry.get("claimed") or {}).get("time")) or received,
            received_at=received,
            hashes={entry["hash"]},
            versions=[entry],
        )
        records.append(record)
        root_of[entry["hash"]] = record
    return records


def _approvals(records: list[_Record]) -> list[Approval]:
    """Every approver's decision in the case: passkey signatures meaning approve / refuse / return,
    and approval records (`approved: false` or `decision` saying otherwise)."""
    out = []
    # Approving a generated document approves the record it renders: the approver signed what
    # the party will read, and the PDF carries that record's hash.
    rendered = {
        h: r.payload.get("renders") for r in records if r.kind == DOCUMENT_KIND for h in r.hashes
    }
    for r in records:
        actor = r.versions[0].get("actor")
        if r.kind == SIGNATURE_KIND:
            decision = DECISION_MEANINGS.get(r.payload.get("meaning"))
            if decision:
                target = r.payload.get("signs")
                target = rendered.get(target) or target
                out.append(
                    Approval(
                        target,
                        decision,
                        actor,
                        r.received_at,
                        "passkey",
                        r.hash,
                        r.payload.get("comment"),
                    )  # fmt: skip
                )
        elif r.kind in APPROVAL_RECORDS:
            p = r.payload
            decision = p.get("decision") or (
                "refused" if p.get("approved") is False else "approved"
            )
            # An old-style approval names only the kind it approves (e.g. record.emergency_start).
            target = p.get("approves") or (
                f"kind:{p['approves_kind']}" if p.get("approves_kind") else None
            )
            reason = p.get("reason") or p.get("opinion")
            out.append(
                Approval(
                    target,
                    decision,
                    actor,
                    r.received_at,
                    "record",
                    r.hash,
                    reason if decision != "approved" else None,
                    p.get("head_name"),
                )  # fmt: skip
            )
    return out


def _members(entries: list[dict[str, Any]]) -> set[str]:
    """Everyone who was ever on the case's team (its opener and every member added)."""
    out = set()
    for e in entries:
        if e.get("kind") == "case.opened" and e.get("actor"):
            out.add(e["actor"])
        elif e.get("kind") == "case.member_added":
            out.add((e.get("payload") or {}).get("staff_id"))
    out.discard(None)
    return out


_HOW_ZH = {"passkey": "通行密钥签名", "record": "审批记录"}
_HOW_EN = {"passkey": "passkey signature", "record": "approval record"}


def _by_zh(a: Approval, zone: ZoneInfo) -> str:
    at = f"，{a.at.astimezone(zone):%Y-%m-%d %H:%M}" if a.at else ""
    name = f"{a.name}，" if a.name else ""
    return f"（{name}{_HOW_ZH[a.how]}{at}）"


def _by_en(a: Approval, zone: ZoneInfo) -> str:
    at = f", {a.at.astimezone(zone):%Y-%m-%d %H:%M}" if a.at else ""
    name = f"{a.name}, " if a.name else ""
    return f" ({name}{_HOW_EN[a.how]}{at})"


def _with_approval(req: Requirement, a: Approval, zone: ZoneInfo) -> Requirement:
    """The requirement naming who approved, when and how."""
    return replace(
        req,
        message_zh=f"{req.message_zh}{_by_zh(a, zone)}",
        message_en=f"{req.message_en}{_by_en(a, zone)}",
        approval=a.as_json(),
    )


def _refused(
    rid: str, cite: dict[str, Any], a: Approval, what_zh: str, what_en: str, zone: ZoneInfo
) -> Requirement:
    reason = a.reason or ""
    return Requirement(
        id=rid,
        status="refused",
        citation=cite,
        message_zh=f"负责人不予批准{what_zh}（理由：{reason}）{_by_zh(a, zone)}",
        message_en=f"Approval of {what_en} refused (reason: {reason}){_by_en(a, zone)}",
        entry_hash=a.target if a.target and not a.target.startswith("kind:") else a.entry_hash,
        approval=a.as_json(),
    )


def _due(
    rid: str,
    cite: dict[str, Any],
    entry_hash: str | None,
    due: datetime,
    what_zh: str,
    what_en: str,
    zone: ZoneInfo,
) -> Requirement:
    """Required, but the time the rules allow has not run out yet."""
    return _req(
        rid,
        "due",
        cite,
        f"待办（{due.astimezone(zone):%Y-%m-%d %H:%M}前）：{what_zh}",
        f"Due by {due.astimezone(zone):%Y-%m-%d %H:%M}: {what_en}",
        entry_hash,
        due_at=due,
    )


@cache
def _kind_titles(kind: str) -> tuple[str, str]:
    """A record kind's Chinese and English titles, from its newest schema."""
    schema = latest_schema(kind, KINDS_DIR)
    return schema.get("title", "记录"), schema.get("x-title-en", kind)


def _applies(applies_to: dict[str, Any], facts: dict[str, Any]) -> bool:
    if applies_to.get("major_only") and not facts.get("major"):
        return False
    kinds = applies_to.get("enforcement_kinds")
    procedures = applies_to.get("procedures")
    return (kinds is None or facts.get("enforcement_kind") in kinds) and (
        procedures is None or facts.get("procedure") in procedures
    )


def _waive(req: Requirement, waiver: _Record) -> Requirement:
    if req.status not in ("missing", "late"):
        return req
    reason = waiver.payload.get("reason", "")
    who = waiver.payload.get("approved_by", "")
    return replace(
        req,
        status="waived",
        message_zh=f"已豁免（{who}批准：{reason}）：{req.message_zh}",
        message_en=f"Waived (approved by {who}: {reason}): {req.message_en}",
    )


def _req(
    rid, status, citation, zh, en, entry_hash=None, late_by_s=None, due_at=None, notes=()
) -> Requirement:
    return Requirement(rid, status, citation, zh, en, entry_hash, late_by_s, due_at, tuple(notes))


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return aware(value)
    return parse_iso(str(value))


def _sig_key(s: dict[str, Any]) -> tuple:
    return (s.get("role"), s.get("name"), s.get("method"), s.get("page"), s.get("blob"))


# Citations name the source document by its title (backend/cases/citations.py), never by file name.
_cite_zh = cite_zh
_cite_en = cite_en


def _span_zh(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}小时{rest // 60}分" if hours else f"{rest // 60}分{rest % 60}秒"


def _span_en(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


def _note_zh(note: str) -> str:
    year = note.split("for ")[1].split(";")[0]
    return f"{year}年官方节假日安排未发布，按周一至周五计算"


_REFUSAL_PATHS = {
    "witness": ("见证人签名", "witness's signature"),
    "two_officers": (
        "两名执法人员签名（或以通行密钥证明拒签）",
        "signature of two officers (or their passkey attestations of the refusal)",
    ),
}
_MEDIA_ZH = {"photo": "照片", "audio": "录音", "video": "录像"}
_ROLE_ZH = {
    "officer": "执法人员",
    "party": "当事人",
    "witness": "见证人",
    "participant": "参加人",
    "recipient": "受送达人",
}
