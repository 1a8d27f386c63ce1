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
import io
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import segno

from backend.blobstore import BlobStore
from backend.cases.document_numbers import allocate, format_number
from backend.cases.lifecycle import pack_for
from backend.cases.stages import case_facts
from backend.errors import CaseTrailError, Invalid, NotFound
from backend.ledger.entry import Draft, Entry
from backend.ledger.kinds import latest_schema
from backend.ledger.ledger import Ledger
from backend.moments import parse_iso
from backend.settings import Settings

if TYPE_CHECKING:
    from fpdf import FPDF

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
    verify_url: str = ""


@cache
def field_schemas(kind: str) -> dict[str, dict[str, Any]]:
    """A record kind's field schemas (latest version): labels and enum titles the PWA shows too."""
    return dict(latest_schema(kind).get("properties", {}))


def field_titles(kind: str) -> dict[str, str]:
    """Chinese labels of a record kind's fields, from its schema (the PWA shows the same)."""
    return {name: prop.get("title", name) for name, prop in field_schemas(kind).items()}


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


def _enum_title(value: Any, schema: dict[str, Any]) -> str | None:
    options, titles = schema.get("enum") or [], schema.get("x-enum-titles") or []
    if value in options and len(titles) == len(options):
        return str(titles[options.index(value)])
    return None


def shown(value: Any, schema: dict[str, Any] | None = None) -> str:
    """A value in words: enum codes by their Chinese titles (a paper never prints `defence`)."""
    schema = schema or {}
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(shown(v, schema.get("items") or {}) for v in value)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return "；".join(
            f"{(props.get(k) or {}).get('title', k)}：{shown(v, props.get(k))}"
            for k, v in value.items()
        )
    if isinstance(value, str) and schema.get("format") in ("date", "date-time"):
        return _chinese_moment(value)
    return _enum_title(value, schema) or str(value)


def _chinese_moment(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if len(text) <= 10:
        return chinese_date(moment.date())
    local = moment.astimezone(CHINA) if moment.tzinfo else moment
    return f"{chinese_date(local.date())} {local:%H:%M}"


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
    verify_url: str = "",
) -> Document:
    """What the document says, from the record entry it renders."""
    template = TEMPLATES[document_kind]
    schemas = field_schemas(entry.kind)
    lines = tuple(
        (
            (schemas.get(name) or {}).get("title", name),
            shown(entry.payload[name], schemas.get(name)),
        )
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
        verify_url=verify_url,
    )


@cache
def _pdf_class() -> type[FPDF]:
    # fpdf2 is imported when the first document is rendered: its import (fonts, SVG) was a fifth
    # of the server's start-up, and start-up is how long a restart leaves officers waiting.
    from fpdf import FPDF

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("cjk", size=7)
            self.cell(0, 4, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")

    return _Pdf


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4, border=1)
    return out.getvalue()


def verification_footer(pdf: FPDF, record_hash: str, verify_url: str) -> None:
    """The digest printed once, small, beside a QR code to the public verification page."""
    from fpdf.enums import WrapMode

    size = 22
    if pdf.get_y() + size + 4 > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = pdf.get_y() + 2
    pdf.line(pdf.l_margin, top, pdf.l_margin + pdf.epw, top)
    if verify_url:
        pdf.image(io.BytesIO(qr_png(verify_url)), x=pdf.l_margin, y=top + 2, w=size, h=size)
    pdf.set_xy(pdf.l_margin + (size + 4 if verify_url else 0), top + 3)
    pdf.set_font("cjk", size=7)
    width = pdf.epw - (size + 4 if verify_url else 0)
    lines = [
        "查验：本文书依据案件记录生成，记录摘要为该记录条目规范化 JSON（RFC 8785）的 SHA-256，"
        "可在本机关执法记录系统及其签名日志中查验。",
        f"记录摘要：{record_hash}",
    ]
    if verify_url:
        lines.append(f"扫描二维码或打开 {verify_url.split('#')[0]} 查验文书与送达回证。")
    for text in lines:
        pdf.set_x(pdf.l_margin + (size + 4 if verify_url else 0))
        pdf.multi_cell(width, 4, text, wrapmode=WrapMode.CHAR)


def render_pdf(doc: Document) -> bytes:
    """The PDF bytes; the same document always gives the same bytes (its date is the creation date)."""
    from fpdf.enums import WrapMode

    font, index = cjk_font()
    pdf = _pdf_class()(format="A4")
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
    verification_footer(pdf, doc.renders, doc.verify_url)
    return bytes(pdf.output())


def verify_url(public_url: str, record_hash: str) -> str:
    """The public page that checks a paper; the record's hash rides in the fragment."""
    return f"{public_url.rstrip('/')}/verify/#record={record_hash}"


def number_prefix(pack_agency: dict[str, Any], document_kind: str) -> str:
    """The agency's own 文号 prefix for this type (rule pack), else a plain one from the title."""
    prefixes = pack_agency.get("document_prefixes") or {}
    return (
        prefixes.get(document_kind)
        or f"{pack_agency.get('name_zh', '')}{TEMPLATES[document_kind].title_zh}"
    )


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
    public_url: str | None = None,
) -> Entry:
    """Render the record `renders` as a PDF, store it, and put `document.generated` on the timeline.

    Its 文号 is the one asked for, or the one the officer wrote on a decision or urging record,
    else the agency's next serial of that type and year (`document_numbers.allocate`).
    """
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
    # A receipt's or notice's `document_number` is the served document's, not its own.
    own = None if "document_number" in template.fields else source.payload.get("document_number")
    serial = None
    number = number or own
    if not number:
        serial = await allocate(
            facts["agency_id"], document_kind, dated.year, client_id=client_id, case_id=case_id
        )
        number = format_number(
            number_prefix(pack.data["agency"], document_kind), dated.year, serial
        )
    parties = [p.get("name", "") for p in facts.get("parties", []) if p.get("name")]
    if public_url is None:
        public_url = Settings.from_env().public_url
    doc = build_document(
        document_kind,
        source,
        agency_name=pack.agency_name,
        number=number,
        parties=parties,
        verify_url=verify_url(public_url, source.hash),
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
    if serial is not None:
        payload.update({"year": dated.year, "serial": serial})
    return await ledger.append(
        Draft(case_id, KIND, client_id, payload, actor=actor, blobs=(blob.sha256,))
    )


async def document_blob(ledger: Ledger, case_id: str, sha256: str) -> Entry:
    """The `document.generated` entry of this case that holds blob `sha256`; NotFound otherwise."""
    for entry in await ledger.whole_timeline(case_id):
        if entry.kind == KIND and sha256 in entry.body["blobs"]:
            return entry
    raise NotFound("no such document on this case", code="document_not_found")
