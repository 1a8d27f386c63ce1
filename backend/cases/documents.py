"""Served documents (decision letter, rights notice, urging notice, service receipt, public notice) as PDF.

A document renders one record entry of the case. It prints the agency's name, its number (文号),
its date and the *entry hash* of the record it renders, i.e. the SHA-256 of that entry's canonical
JSON (RFC 8785): anyone holding the PDF can find the record in the ledger and check it says the
same. The PDF's own SHA-256 is its blob address, named in the `document.generated` entry.

The Chinese text needs an embedded CJK font. It is never downloaded at run time: the first font
found in FONT_CANDIDATES is embedded (subset). WenQuanYi Micro Hei (Debian `fonts-wqy-microhei`) is
preferred because it has TrueType outlines, which fpdf2 embeds with an Identity-H encoding whose
text any PDF reader can extract; Noto CJK (CFF outlines) is a last resort.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import WrapMode

from backend.cases.lifecycle import pack_for
from backend.cases.rules import KINDS_DIR
from backend.cases.stages import case_facts
from backend.errors import CaseTrailError, Invalid, NotFound
from backend.evidence.blobstore import BlobStore
from backend.ledger.entry import Draft, Entry, parse_iso
from backend.ledger.ledger import Ledger

KIND = "document.generated"
MEDIA_TYPE = "application/pdf"
CHINA = ZoneInfo("Asia/Shanghai")
FONT_CANDIDATES: tuple[tuple[Path, int], ...] = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),  # fonts-wqy-microhei
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),  # fonts-wqy-zenhei
    (Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0),  # fonts-arphic-uming
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),  # fonts-noto-cjk, SC
)


class NoCJKFont(CaseTrailError):
    status, code = 500, "no_cjk_font"


@dataclass(frozen=True)
class Template:
    """What one kind of document prints: its title, the records it can render, and their fields."""

    title_zh: str
    sources: tuple[str, ...]
    fields: tuple[str, ...]
    date_fields: tuple[str, ...]
    closing: str = ""


SERVICE_KINDS = (
    "record.service_direct",
    "record.service_left_at_residence",
    "record.service_entrusted",
    "record.service_postal",
    "record.service_public_notice",
)
TEMPLATES: dict[str, Template] = {
    "case_opening_approval": Template(
        "立案审批表",
        ("record.case_opening_approval",),
        (
            "source",
            "reason",
            "party_summary",
            "handler_opinion",
            "unit_opinion",
            "legal_review_opinion",
            "head_opinion",
            "head_name",
            "approved",
        ),
        (),
    ),
    "decision_letter": Template(
        "行政执法决定书",
        ("record.decision",),
        (
            "party",
            "facts_and_evidence",
            "legal_basis",
            "outcome",
            "fine_amount",
            "performance_deadline",
            "remedies",
        ),
        ("decided_on",),
    ),
    "rights_notice": Template(
        "权利告知书",
        ("record.rights_notice",),
        ("proposed_decision", "facts_and_basis", "rights", "deadline_days", "how_told"),
        (),
        "当事人可在规定期限内向本机关提出陈述、申辩，符合条件的可以申请听证；逾期视为放弃上述权利。",
    ),
    "urging_notice": Template(
        "催告书",
        ("record.urging_notice",),
        ("obligation", "deadline", "statement", "review"),
        (),
        "请在上述期限内履行义务；当事人有权进行陈述和申辩。逾期不履行的，本机关将依法强制执行或申请人民法院强制执行。",
    ),
    "service_receipt": Template(
        "送达回证",
        SERVICE_KINDS,
        (
            "document_name",
            "document_number",
            "recipient",
            "server",
            "served_at",
            "place",
            "signer",
            "signer_relation",
            "refusal_reason",
            "witness",
            "mode",
            "reason",
            "agent",
            "carrier",
            "tracking_number",
            "posted_at",
            "delivered_at",
        ),
        ("served_at", "posted_at"),
    ),
    "public_notice": Template(
        "公告",
        ("record.service_public_notice",),
        (
            "recipient",
            "document_name",
            "document_number",
            "other_ways_failed",
            "notice_text",
            "medium",
            "published_from",
            "period_days",
        ),
        ("published_from",),
        "自公告发布之日起经过公告期，即视为送达。",
    ),
}


@dataclass(frozen=True)
class Document:
    """Everything printed on one document."""

    document_kind: str
    title: str
    agency_name: str
    number: str
    dated: date
    renders: str
    parties: tuple[str, ...]
    lines: tuple[tuple[str, str], ...]
    closing: str = ""


@cache
def field_titles(kind: str) -> dict[str, str]:
    """Chinese labels of a record kind's fields, from its schema (the PWA shows the same)."""
    versions = sorted(
        KINDS_DIR.glob(f"{kind}.v*.json"), key=lambda p: int(p.name.rsplit(".v", 1)[1][:-5])
    )
    schema = json.loads(versions[-1].read_text(encoding="utf-8")) if versions else {}
    return {name: prop.get("title", name) for name, prop in schema.get("properties", {}).items()}


def pack_document(pack_data: dict[str, Any], document_kind: str) -> dict[str, Any] | None:
    """The pack's entry for this document (title, stage, whether an approver signs it), if any."""
    return next(
        (d for d in pack_data.get("documents", []) if d["document_kind"] == document_kind), None
    )


def cjk_font() -> tuple[Path, int]:
    for path, index in FONT_CANDIDATES:
        if path.is_file():
            return path, index
    raise NoCJKFont(
        "no CJK font installed (apt-get install fonts-wqy-microhei)", code="no_cjk_font"
    )


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(shown(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{shown(v)}" for k, v in value.items())
    return str(value)


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def document_date(entry: Entry, template: Template) -> date:
    """The record's own date (decided on, served at ...) or, failing that, when it was recorded."""
    for name in template.date_fields:
        value = entry.payload.get(name)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return moment.astimezone(CHINA).date() if moment.tzinfo else moment.date()
    claimed = (entry.body.get("claimed") or {}).get("time")
    moment = parse_iso(claimed) if claimed else entry.received_at
    return moment.astimezone(CHINA).date()


def build_document(
    document_kind: str,
    entry: Entry,
    *,
    agency_name: str,
    number: str,
    parties: list[str],
) -> Document:
    """What the document says, from the record entry it renders."""
    template = TEMPLATES[document_kind]
    titles = field_titles(entry.kind)
    lines = tuple(
        (titles.get(name, name), shown(entry.payload[name]))
        for name in template.fields
        if entry.payload.get(name) not in (None, "", [])
    )
    return Document(
        document_kind=document_kind,
        title=template.title_zh,
        agency_name=agency_name,
        number=number,
        dated=document_date(entry, template),
        renders=entry.hash,
        parties=tuple(parties),
        lines=lines,
        closing=template.closing,
    )


class _Pdf(FPDF):
    renders = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("cjk", size=7)
        self.cell(0, 4, f"记录摘要 SHA-256: {self.renders}", align="C")
        self.ln(4)
        self.cell(0, 4, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")


def render_pdf(doc: Document) -> bytes:
    """The PDF bytes; the same document always gives the same bytes (its date is the creation date)."""
    font, index = cjk_font()
    pdf = _Pdf(format="A4")
    pdf.renders = doc.renders
    pdf.set_margins(25, 20, 25)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_font("cjk", "", str(font), collection_font_number=index)
    pdf.set_title(f"{doc.agency_name} {doc.title} {doc.number}")
    pdf.set_author(doc.agency_name)
    pdf.set_subject(f"renders ledger entry {doc.renders}")
    pdf.set_creator("CaseTrail")
    pdf.set_producer("CaseTrail")
    pdf.set_creation_date(datetime.combine(doc.dated, datetime.min.time(), CHINA).astimezone(UTC))
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("cjk", size=16)
    pdf.multi_cell(width, 9, doc.agency_name, align="C", wrapmode=WrapMode.CHAR)
    pdf.set_font("cjk", size=22)
    pdf.multi_cell(width, 13, doc.title, align="C", wrapmode=WrapMode.CHAR)
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(width, 8, doc.number, align="R", wrapmode=WrapMode.CHAR)
    pdf.ln(2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(4)
    if doc.parties:
        pdf.multi_cell(width, 7, f"当事人：{'、'.join(doc.parties)}", wrapmode=WrapMode.CHAR)
        pdf.ln(1)
    for label, value in doc.lines:
        pdf.multi_cell(width, 7, f"{label}：{value}", wrapmode=WrapMode.CHAR)
        pdf.ln(1)
    if doc.closing:
        pdf.ln(2)
        pdf.multi_cell(width, 7, f"　　{doc.closing}", wrapmode=WrapMode.CHAR)
    pdf.ln(12)
    pdf.multi_cell(width, 8, doc.agency_name, align="R", wrapmode=WrapMode.CHAR)
    pdf.multi_cell(width, 8, chinese_date(doc.dated), align="R", wrapmode=WrapMode.CHAR)
    pdf.ln(8)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(
        width,
        5,
        "本文书依据案件记录生成。记录摘要为该记录条目规范化 JSON（RFC 8785）的 SHA-256，"
        "可在本机关执法记录系统中查验。",
        wrapmode=WrapMode.CHAR,
    )
    pdf.multi_cell(width, 5, f"记录摘要：{doc.renders}")
    return bytes(pdf.output())


def default_number(document_kind: str, case_ref: str, dated: date, sequence: int) -> str:
    """A number when neither the request nor the record gives one: kind, year, case, sequence."""
    word = {
        "decision_letter": "决",
        "rights_notice": "告",
        "urging_notice": "催",
        "case_opening_approval": "立",
    }.get(document_kind, "送" if document_kind == "service_receipt" else "公")
    return f"{word}〔{dated.year}〕{case_ref}-{sequence}号"


async def generate_document(
    ledger: Ledger,
    blobs: BlobStore,
    case_id: str,
    *,
    client_id: str,
    document_kind: str,
    renders: str,
    actor: str | None,
    number: str | None = None,
) -> Entry:
    """Render the record `renders` as a PDF, store it, and put `document.generated` on the timeline."""
    if document_kind not in TEMPLATES:
        raise Invalid(
            f"unknown document kind {document_kind}; one of {', '.join(TEMPLATES)}",
            code="unknown_document_kind",
        )
    timeline = await ledger.whole_timeline(case_id)
    if not timeline:
        raise NotFound("no such case", code="case_not_found")
    for entry in timeline:
        if entry.kind == KIND and entry.body["client_id"] == client_id:
            return entry  # a resend
    source = next((e for e in timeline if e.hash == renders), None)
    if source is None:
        raise Invalid("the record to render is not on this case", code="document_source_not_found")
    template = TEMPLATES[document_kind]
    if source.kind not in template.sources:
        raise Invalid(
            f"a {document_kind} renders {' or '.join(template.sources)}, not {source.kind}",
            code="document_source_kind",
        )
    facts = case_facts([e.body for e in timeline])
    pack = await pack_for(facts["agency_id"])
    dated = document_date(source, template)
    sequence = 1 + sum(e.kind == KIND for e in timeline)
    number = (
        number
        or source.payload.get("document_number")
        or default_number(document_kind, facts.get("number") or case_id[:8], dated, sequence)
    )
    parties = [p.get("name", "") for p in facts.get("parties", []) if p.get("name")]
    doc = build_document(
        document_kind, source, agency_name=pack.agency_name, number=number, parties=parties
    )
    # The pack names the document as the agency does (行政处罚决定书 rather than 行政执法决定书).
    titled = pack_document(pack.data, document_kind)
    if titled:
        doc = replace(doc, title=titled["title_zh"])
    pdf = await asyncio.to_thread(render_pdf, doc)
    async with blobs.writer() as blob:
        await blob.write(pdf)
    assert blob.sha256 is not None
    payload = {
        "document_kind": document_kind,
        "number": number,
        "renders": renders,
        "title": doc.title,
        "media_type": MEDIA_TYPE,
        "dated": doc.dated.isoformat(),
    }
    return await ledger.append(
        Draft(case_id, KIND, client_id, payload, actor=actor, blobs=(blob.sha256,))
    )


async def document_blob(ledger: Ledger, case_id: str, sha256: str) -> Entry:
    """The `document.generated` entry of this case that holds blob `sha256`; NotFound otherwise."""
    for entry in await ledger.whole_timeline(case_id):
        if entry.kind == KIND and sha256 in entry.body["blobs"]:
            return entry
    raise NotFound("no such document on this case", code="document_not_found")
