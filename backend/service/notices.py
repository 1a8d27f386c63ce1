"""The public-notice board: notices by agency with their period, deemed-service date and posting photos.

Service by public notice counts as done once its period has run (pack `deadlines.public_notice`,
e.g. 60 days from the first day of the notice). A notice leaves the board when its period ends,
and leaving is an entry of its own (`notice.taken_down`).
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from backend import workdays
from backend.cases.lifecycle import case_state, pack_for
from backend.cases.stages import case_facts
from backend.errors import Invalid, NotFound
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger
from backend.moments import aware
from backend.service.links import find_pdf
from backend.service.masking import mask_name, mask_text
from backend.service.tables import PublicCopy, PublicNotice

CHINA = ZoneInfo("Asia/Shanghai")
PHOTO_KINDS = ("media.photo",)
NOT_ON_BOARD = "该公告不存在或已撤下 / No such notice on the board"


def today_in_china(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def notice_period(pack_rule: dict[str, Any], start: date) -> tuple[int, str, date]:
    """(length, unit, deemed-served date) for a notice starting on `start`."""
    if "working_days" in pack_rule:
        n = pack_rule["working_days"]
        begun = datetime.combine(start, time(12), tzinfo=CHINA)
        return n, "working_days", workdays.add_working_days(begun, n).date()
    n = pack_rule["days"]
    return n, "days", start + timedelta(days=n)


def comes_down_at(last_day: date) -> datetime:
    """Midnight China time after the last day on the board."""
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=CHINA).astimezone(UTC)


async def publish_notice(
    ledger: Ledger,
    blobs: Any,
    *,
    case_id: str,
    actor: str | None,
    client_id: str,
    purpose: str,
    title: str,
    text: str,
    document_entry: str | None = None,
    service_record: str | None = None,
    start_date: date | None = None,
    period_days: int | None = None,
    now: datetime | None = None,
) -> Entry:
    """Put a notice on the board: masked text, the PDF, the period from the pack."""
    now = now or datetime.now(UTC)
    state = await case_state(case_id)
    pack = await pack_for(state["agency_id"])
    entries = [{"hash": e.hash, **e.body} for e in await ledger.whole_timeline(case_id)]
    parties = case_facts(entries).get("parties") or state.get("parties") or []
    recipient = ""
    record: Entry | None = None
    if service_record:
        record = await ledger.get(service_record)
        if record.case_id != case_id or record.kind != "record.service_public_notice":
            raise Invalid(
                "service_record must be a record.service_public_notice of this case",
                code="bad_service_record",
            )
        recipient = record.payload.get("recipient", "")
        if start_date is None and record.payload.get("published_from"):
            start_date = date.fromisoformat(record.payload["published_from"])
    start_date = start_date or today_in_china(now)
    citation = None
    if purpose == "service":
        rule = pack.deadlines["public_notice"]
        period, unit, deemed = notice_period(rule, start_date)
        citation = rule["citation"]
        last_day = deemed
    elif purpose == "decision":
        if not period_days:
            raise Invalid("a published decision needs period_days", code="no_period")
        period, unit, deemed = period_days, "days", None
        last_day = start_date + timedelta(days=period_days - 1)
    else:
        raise Invalid("purpose must be service or decision", code="bad_purpose")
    kinds = {p.get("name"): p.get("kind", "person") for p in parties}
    payload: dict[str, Any] = {
        "purpose": purpose,
        "title": mask_text(title, parties, pack)[:200],
        "public_text": mask_text(text, parties, pack),
        "recipient_public": mask_name(recipient, pack, kinds.get(recipient, "person"))
        if recipient
        else "",
        "start_date": start_date.isoformat(),
        "period_days": period,
        "period_unit": unit,
        "ends_at": utc_iso(comes_down_at(last_day)),
    }
    if deemed is not None:
        payload["deemed_served_on"] = deemed.isoformat()
    if citation:
        payload["citation"] = citation
    blob_shas: tuple[str, ...] = ()
    if document_entry:
        document = await ledger.get(document_entry)
        if document.case_id != case_id:
            raise Invalid("the document is not on this case", code="document_not_in_case")
        payload["document_entry"] = document.hash
        payload["document_sha256"] = await find_pdf(blobs, document)
        blob_shas = (payload["document_sha256"],)
    if record is not None:
        payload["service_record"] = record.hash
    entry = await ledger.append(
        Draft(
            case_id=case_id,
            kind="notice.published",
            client_id=client_id,
            payload=payload,
            actor=actor,
            blobs=blob_shas,
        )
    )
    if not await PublicNotice.exists().where(PublicNotice.notice_entry == entry.hash):
        await PublicNotice.insert(
            PublicNotice(
                notice_entry=entry.hash,
                case_id=case_id,
                agency_id=state["agency_id"],
                purpose=purpose,
                title=payload["title"],
                public_text=payload["public_text"],
                recipient_public=payload["recipient_public"],
                document_sha256=payload.get("document_sha256"),
                service_record=payload.get("service_record"),
                start_date=payload["start_date"],
                period_days=period,
                period_unit=unit,
                deemed_served_on=payload.get("deemed_served_on"),
                published_at=entry.received_at,
                ends_at=comes_down_at(last_day),
            )
        )
    return entry


async def take_down_expired(ledger: Ledger, now: datetime | None = None) -> list[Entry]:
    """Take every notice whose period has ended off the board, each with a `notice.taken_down` entry."""
    now = now or datetime.now(UTC)
    due = await PublicNotice.select().where(
        PublicNotice.taken_down_at.is_null() & (PublicNotice.ends_at <= now)
    )
    done = []
    for row in due:
        entry = await ledger.append(
            Draft(
                case_id=row["case_id"],
                kind="notice.taken_down",
                # One take-down per notice, however many workers race to it.
                client_id=f"{row['notice_entry']}:taken_down",
                payload={"notice_entry": row["notice_entry"], "reason": "period_ended"},
                actor="system",
            )
        )
        await PublicNotice.update({PublicNotice.taken_down_at: entry.received_at}).where(
            PublicNotice.notice_entry == row["notice_entry"]
        )
        done.append(entry)
    return done


async def withdraw_notice(
    ledger: Ledger, *, case_id: str, notice_entry: str, actor: str | None, note: str
) -> Entry:
    row = await _row(notice_entry)
    if row["case_id"] != case_id:
        raise NotFound(NOT_ON_BOARD, code="notice_not_found")
    entry = await ledger.append(
        Draft(
            case_id=case_id,
            kind="notice.taken_down",
            client_id=f"{notice_entry}:taken_down",
            payload={"notice_entry": notice_entry, "reason": "withdrawn", "note": note},
            actor=actor,
        )
    )
    await PublicNotice.update({PublicNotice.taken_down_at: entry.received_at}).where(
        PublicNotice.notice_entry == notice_entry
    )
    return entry


async def _row(notice_entry: str) -> dict[str, Any]:
    row = await PublicNotice.select().where(PublicNotice.notice_entry == notice_entry).first()
    if row is None:
        raise NotFound(NOT_ON_BOARD, code="notice_not_found")
    return row


async def current_row(notice_entry: str, now: datetime) -> dict[str, Any]:
    row = await _row(notice_entry)
    if row["taken_down_at"] is not None or aware(row["ends_at"]) <= now:
        raise NotFound(NOT_ON_BOARD, code="notice_not_found")
    return row


async def posting_photos(ledger: Ledger, row: dict[str, Any]) -> list[str]:
    """SHA-256s of the posting photos linked to the notice or its service record (`for_entry`)."""
    targets = {row["notice_entry"], row["service_record"]} - {None}
    shas = []
    for entry in await ledger.whole_timeline(row["case_id"]):
        if entry.kind in PHOTO_KINDS and entry.payload.get("for_entry") in targets:
            shas += [s for s in entry.body.get("blobs", []) if s not in shas]
            sha = entry.payload.get("sha256")
            if isinstance(sha, str) and sha not in shas and not entry.body.get("blobs"):
                shas.append(sha)
    return shas


async def board(ledger: Ledger, now: datetime | None = None) -> list[dict[str, Any]]:
    """Current notices grouped by agency (taking down any whose period has ended first)."""
    now = now or datetime.now(UTC)
    await take_down_expired(ledger, now)
    rows = await PublicNotice.select().where(PublicNotice.taken_down_at.is_null())
    by_agency: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["agency_id"], r["start_date"]), reverse=False):
        if aware(row["ends_at"]) <= now:
            continue
        by_agency.setdefault(row["agency_id"], []).append(
            {
                "notice_id": row["notice_entry"],
                "purpose": row["purpose"],
                "title": row["title"],
                "text": row["public_text"],
                "recipient": row["recipient_public"],
                "start_date": row["start_date"],
                "period_days": row["period_days"],
                "period_unit": row["period_unit"],
                "deemed_served_on": row["deemed_served_on"],
                "ends_at": utc_iso(row["ends_at"]),
                "document_url": f"/api/notices/{row['notice_entry']}/document"
                if row["document_sha256"]
                else None,
                # By position, never by hash: the original's SHA-256 (EXIF, GPS and all) is
                # not the public's to learn, and the photo route serves only the public copy.
                "photo_urls": [
                    f"/api/notices/{row['notice_entry']}/photos/{index}"
                    for index in range(len(await posting_photos(ledger, row)))
                ],
            }
        )
    out = []
    for agency_id, notices in by_agency.items():
        pack = await pack_for(agency_id)
        out.append(
            {
                "agency_id": agency_id,
                "name_zh": pack.agency_name,
                "name_en": pack.data["agency"]["name_en"],
                "notices": notices,
            }
        )
    return out


async def public_copy(
    ledger: Ledger, blobs: Any, notice_entry: str, index: int, now: datetime
) -> str:
    """The SHA-256 of the EXIF-free copy of the notice's `index`-th posting photo (made once)."""
    row = await current_row(notice_entry, now)
    photos = await posting_photos(ledger, row)
    if not 0 <= index < len(photos):
        raise NotFound(NOT_ON_BOARD, code="notice_not_found")
    sha = photos[index]
    known = await PublicCopy.select().where(PublicCopy.source_sha256 == sha).first()
    if known and await blobs.exists(known["public_sha256"]):
        return known["public_sha256"]
    from backend.evidence.image_safety import make_public_copy

    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "source", Path(tmp) / "public.jpg"
        with source.open("wb") as out:
            async for chunk in blobs.open(sha):
                out.write(chunk)
        await asyncio.to_thread(make_public_copy, source, target)
        async with blobs.writer() as writer:
            await writer.write(target.read_bytes())
    public = writer.sha256
    if known is None:
        await PublicCopy.insert(PublicCopy(source_sha256=sha, public_sha256=public))
    return public
