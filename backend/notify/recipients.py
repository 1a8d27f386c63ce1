"""Who hears about what: the ledger listener and the deadline reminders decide whom to push to.

Entries that need someone now (an approval, a party's action, a spot check) are pushed as they are
committed; deadlines (AV upload in 4 h and overdue, archive approaching) by a periodic job.
Every message carries the PWA route that shows the item.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.database import in_lists
from backend.identity.access import case_agency
from backend.identity.roles import holders
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.timelines import agency_of_timeline
from backend.moments import aware
from backend.notify.sending import Message, Pusher
from backend.notify.tables import PushSubscription, ReminderSent
from backend.review.review_cases import APPROVABLE

log = logging.getLogger("casetrail.notify")
APPROVERS = set(holders("hear_approvals"))
SUPERVISORS = set(holders("hear_spot_checks"))
ARCHIVISTS = set(holders("hear_archive_deadlines"))
# Every kind the approvals tab lists pushes to the approvers; these say what waits, in words.
APPROVAL_TITLES = {
    "record.handler_proposal": ("待审批：案件处理意见", "Approval waiting: handler's proposal"),
    "record.legal_review": ("待审批：法制审核意见", "Approval waiting: legal review"),
    "record.collective_discussion": (
        "待签名：集体讨论记录",
        "Signature waiting: discussion minutes",
    ),
    "record.case_opening_approval": ("待审批：立案审批", "Approval waiting: opening the case"),
    "retention.batch": ("待审批：到期销毁清单", "Approval waiting: disposal batch"),
}
EXPORT_TITLES = {
    "copy": ("待审批：复制记录申请", "Approval waiting: a copy of records"),
    "export": ("待审批：案卷导出申请", "Approval waiting: exporting the dossier"),
}
APPROVAL_BODY = ("请查看后用通行密钥审批。", "Read it, then decide with your passkey.")
# The emergency start has its own message (it is already under way); the rest are listed above.
APPROVAL_KINDS = frozenset(APPROVABLE) - {"record.emergency_start"}
PARTY_KINDS = {
    "service.opened": ("当事人已打开送达文书", "The party opened the served document"),
    "party.confirmed": ("当事人已确认收到送达文书", "The party confirmed receiving the document"),
    "party.statement": ("收到当事人陈述申辩", "The party sent a statement"),
}
AV_SOON = timedelta(hours=4)
ARCHIVE_SOON = timedelta(days=3)


async def case_members(ledger: Ledger, case_id: str) -> set[str]:
    """Who is on the case now: a member removed from it is no longer told about it."""
    from backend.identity.members import case_member_ids

    return (await case_member_ids([case_id]))[case_id]


async def subscriptions(
    agency_id: str | None, *, staff: set[str] | None = None, roles: set[str] | None = None
) -> list[dict[str, Any]]:
    if agency_id is None:
        return []
    rows = await PushSubscription.select().where(PushSubscription.agency_id == agency_id)
    return [
        r
        for r in rows
        if (staff is not None and r["staff_id"] in staff)
        or (roles is not None and set(json.loads(r["roles"] or "[]")) & roles)
    ]


async def messages_for(ledger: Ledger, entry: Entry) -> list[tuple[list[dict], Message]]:
    """What to push, and to whom, for one committed entry."""
    kind, case_id = entry.kind, entry.case_id
    if kind not in PUSHING_KINDS:
        return []  # most entries (photos, notes) push nothing: no lookup for them
    agency = await case_agency(case_id)
    out: list[tuple[list[dict], Message]] = []
    if kind == "record.emergency_start":
        out.append((
            await subscriptions(agency, roles=APPROVERS),
            Message("紧急启动待审批", "紧急程序已先行实施，须在规定时限内补办审批。",
                    f"#/review/cases/{case_id}", tag=f"emergency:{entry.hash[:16]}",
                    title_en="Emergency start waiting for approval",
                    body_en="Emergency measures were taken; approve them within the time limit."),
        ))  # fmt: skip
    elif kind in APPROVAL_KINDS:
        zh, en = approval_title(entry)
        out.append((
            await subscriptions(agency, roles=APPROVERS),
            Message(zh, APPROVAL_BODY[0], f"#/review/approvals?entry={entry.hash}",
                    tag=f"approval:{entry.hash[:16]}", title_en=en, body_en=APPROVAL_BODY[1]),
        ))  # fmt: skip
    elif kind in PARTY_KINDS and agency_of_timeline(case_id) is None:
        zh, en = PARTY_KINDS[kind]
        out.append((
            await subscriptions(agency, staff=await case_members(ledger, case_id)),
            Message(zh, "点击查看案件时间线。", f"#/cases/{case_id}",
                    tag=f"{kind}:{entry.hash[:16]}", title_en=en,
                    body_en="Open the case timeline."),
        ))  # fmt: skip
    elif kind == "signature.requested" and agency_of_timeline(case_id) is None:
        # Only the colleague asked, and only while they are still on the case.
        signer = entry.payload["signer"]
        if signer in await case_members(ledger, case_id):
            zh = "会签" if entry.payload["meaning"] == "co_sign" else "见证拒签"
            out.append((
                await subscriptions(agency, staff={signer}),
                Message(f"待签名：同事请您{zh}", "请在本人手机上用通行密钥签名。", "#/to-sign",
                        tag=f"sign:{entry.hash[:16]}"),
            ))  # fmt: skip
    elif kind == "spotcheck.drawn":
        p = entry.payload
        out.append((
            await subscriptions(agency, roles=SUPERVISORS),
            Message("音像记录抽查待完成",
                    f"{p['period']}：抽取 {p['quota']} 条，截止 {p['due_at'][:10]}",
                    f"#/review/spot-checks?period={p['period']}", tag=f"spotcheck:{p['period']}",
                    title_en="Recordings drawn for a spot check",
                    body_en=f"{p['period']}: {p['quota']} drawn, due {p['due_at'][:10]}"),
        ))  # fmt: skip
    return [(rows, message) for rows, message in out if rows]


def approval_title(entry: Entry) -> tuple[str, str]:
    """What waits for approval, in Chinese and English."""
    if entry.kind == "export.requested":
        return EXPORT_TITLES.get(entry.payload.get("scope"), EXPORT_TITLES["export"])
    return APPROVAL_TITLES.get(entry.kind, ("待审批事项", "Approval waiting"))


PUSHING_KINDS = frozenset(
    {
        "record.emergency_start",
        "spotcheck.drawn",
        "signature.requested",
        *APPROVAL_KINDS,
        *PARTY_KINDS,
    }
)


class Notifier:
    """Listens to the ledger and pushes without holding up the append that triggered it."""

    def __init__(self, ledger: Ledger, pusher: Pusher) -> None:
        self.ledger = ledger
        self.pusher = pusher
        self._tasks: set[asyncio.Task] = set()

    async def on_entries(self, entries: list[Entry]) -> None:
        task = asyncio.create_task(self._push(entries))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, entries: list[Entry]) -> None:
        for entry in entries:
            try:
                for rows, message in await messages_for(self.ledger, entry):
                    await self.pusher.send_to(rows, message)
            except Exception:
                log.exception("push for entry %s failed", entry.hash)

    async def drain(self) -> None:
        """Wait for pushes under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def once(key: str) -> bool:
    """True the first time `key` is seen: each reminder fires once."""
    if await ReminderSent.exists().where(ReminderSent.key == key):
        return False
    try:
        await ReminderSent.insert(ReminderSent(key=key, sent_at=datetime.now(UTC)))
    except Exception:  # another worker recorded it first
        return False
    return True


def upload_reminder(case_title: str, stage: str, due: datetime, segment_hash: str) -> Message:
    """The push for a recording still to upload: due within 4 hours ("soon") or "overdue"."""
    title = "音像记录上传已逾期" if stage == "overdue" else "音像记录须在4小时内上传"
    title_en = "Recording upload overdue" if stage == "overdue" else "Upload within 4 hours"
    by = due.astimezone(UTC).isoformat()[:16] + "Z"
    return Message(title, f"{case_title}：截止 {by}", "#/outbox", tag=f"av:{segment_hash[:16]}",
                   title_en=title_en, body_en=f"{case_title}: due {by}")  # fmt: skip


def archive_reminder(case_title: str, case_id: str, due: datetime) -> Message:
    """The push to archivists for a dossier whose archiving deadline is near."""
    day = due.date().isoformat()
    return Message("案卷归档期限将至", f"{case_title}：须于 {day} 前归档", f"#/cases/{case_id}",
                   tag=f"archive:{case_id}", title_en="Archiving due soon",
                   body_en=f"{case_title}: archive by {day}")  # fmt: skip


async def deadline_reminders(
    ledger: Ledger, now: datetime | None = None
) -> list[tuple[list[dict], Message]]:
    """AV uploads due within 4 h or overdue, dossiers due for archiving within 3 days.

    Only the deadlines falling due within those windows are read (the `notify_deadline`
    projection, by an indexed range), never every open case: each one's deadline is worked out
    again from what its entries say, with the agency's pack as it is now.
    """
    from backend.cases.lifecycle import pack_for
    from backend.cases.tables import CaseState
    from backend.notify.projection import archive_due, falling_due, upload_due

    now = now or datetime.now(UTC)
    due = await falling_due("av", now + AV_SOON) + await falling_due("archive", now + ARCHIVE_SOON)
    if not due:
        return []
    by_case: dict[str, list[dict[str, Any]]] = {}
    for row in due:
        by_case.setdefault(row["case_id"], []).append(row)
    cases = []
    for chunk in in_lists(by_case):
        cases += await CaseState.select().where(CaseState.case_id.is_in(chunk))
    out: list[tuple[list[dict], Message]] = []
    for case in cases:
        case_id, agency = case["case_id"], case["agency_id"]
        if case["status"] != "open":
            continue
        try:
            pack = await pack_for(agency)
        except Exception:
            continue
        members = None
        for row in by_case[case_id]:
            starts = aware(row["starts_at"])
            if row["key"].startswith("av:"):
                segment_hash = row["key"].removeprefix("av:")
                by_when = upload_due(pack, starts)
                stage = (
                    "overdue" if now > by_when else ("soon" if by_when - now <= AV_SOON else None)
                )
                if stage is None or not await once(f"av:{stage}:{segment_hash}"):
                    continue
                members = members or await case_members(ledger, case_id)
                out.append((
                    await subscriptions(agency, staff=members),
                    upload_reminder(case["title"], stage, by_when, segment_hash),
                ))  # fmt: skip
                continue
            by_when = archive_due(pack, starts)
            if by_when - now <= ARCHIVE_SOON and await once(f"archive:{case_id}"):
                members = members or await case_members(ledger, case_id)
                out.append((
                    await subscriptions(agency, staff=members, roles=ARCHIVISTS),
                    archive_reminder(case["title"], case_id, by_when),
                ))  # fmt: skip
    return [(rows, m) for rows, m in out if rows]
