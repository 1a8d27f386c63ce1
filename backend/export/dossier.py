"""The dossier PDF (案卷): cover, material list with page numbers, every record, AV listing, compliance, checkpoint.

Materials are the case's entries in chronological order (claimed time, else server time). Text
records are rendered field by field with the Chinese titles of their kind schema; photos are embedded
as re-encoded thumbnails (never the original bytes, so no metadata leaks into the file); audio and
video are listed with hash, storage location, how, when and by whom they were made and what they
prove (zhengxiang §28-29, lingchuan §27); drawn signatures are redrawn from their strokes.
The material list needs the page each material starts on, so the PDF is laid out twice.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from backend.cases.documents import cjk_font
from backend.ledger.entry import Entry
from backend.ledger.kinds import SHARED, latest_schema
from backend.ledger.ledger import entry_time

BEIJING = timezone(timedelta(hours=8))
KINDS_DIR = SHARED / "schemas" / "kinds"
NOT_MATERIAL = {"case.member_added"}
AV_KINDS = {"media.audio": "录音", "media.video": "录像"}
STATUS_ZH = {"met": "符合", "due": "未到期", "missing": "缺失", "late": "逾期",
             "refused": "不予批准", "waived": "经批准免除", "not_applicable": "不适用"}  # fmt: skip
SKIP_FIELDS = {"signatures", "strokes", "findings", "exif", "image", "media", "upload"}


@cache
def kind_schema(kind: str) -> dict[str, Any]:
    return latest_schema(kind, KINDS_DIR)


def kind_title(kind: str) -> str:
    return kind_schema(kind).get("title") or kind


def field_title(kind: str, name: str) -> str:
    return (kind_schema(kind).get("properties", {}).get(name) or {}).get("title") or name


def beijing(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M")


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(shown(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}：{shown(v)}" for k, v in value.items())
    return "" if value is None else str(value)


@dataclass
class Material:
    number: int
    entry: Entry
    title: str
    time: datetime


@dataclass
class DossierInput:
    """Everything the PDF shows, gathered by exports.py; rendering is a pure function of it."""

    agency_name: str
    case: dict[str, Any]
    entries: list[Entry]
    compliance: list[dict[str, Any]]
    checkpoint_note: str
    checkpoint_size: int
    storage: str
    blobs: dict[str, bytes] = field(
        default_factory=dict
    )  # sha -> image bytes for photos/signatures
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    sm3: dict[str, str] = field(default_factory=dict)  # SHA-256 name -> SM3 digest


def materials_of(entries: list[Entry]) -> list[Material]:
    chosen = [e for e in entries if e.kind not in NOT_MATERIAL]
    ordered = sorted(chosen, key=lambda e: (entry_time(e), e.seq))
    return [
        Material(n, e, material_title(e), entry_time(e)) for n, e in enumerate(ordered, start=1)
    ]


def material_title(entry: Entry) -> str:
    caption = entry.payload.get("caption") or entry.payload.get("document_name")
    title = kind_title(entry.kind)
    return f"{title}（{caption}）" if caption else title


@cache
def _pdf_class() -> type:
    # fpdf2 is imported when the first dossier is made, not when the server starts.
    from fpdf import FPDF

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=8)
            self.set_text_color(90)
            self.cell(0, 6, f"第 {self.page_no()} 页", align="C")
            self.set_text_color(0)

    return _Pdf


def thumbnail(data: bytes, max_side: int = 900) -> io.BytesIO | None:
    """A re-encoded, metadata-free JPEG of an image blob, decoded with the evidence safety limits."""
    try:
        from backend.evidence.image_safety import make_thumbnail

        with tempfile.TemporaryDirectory() as tmp:
            source, out = Path(tmp) / "in", Path(tmp) / "out.jpg"
            source.write_bytes(data)
            make_thumbnail(source, out, max_side=max_side)
            return io.BytesIO(out.read_bytes())
    except Exception:  # not an image we can safely decode: listed, not embedded
        return None


class _Layout:
    def __init__(self, data: DossierInput, materials: list[Material], pages: dict[int, int]):
        self.data = data
        self.materials = materials
        self.pages = pages
        self.started: dict[int, int] = {}
        font, index = cjk_font()
        pdf = _pdf_class()(format="A4")
        pdf.add_font("cjk", "", str(font), collection_font_number=index)
        pdf.set_auto_page_break(True, margin=16)
        pdf.set_margins(18, 16, 18)
        pdf.set_title(f"{data.case.get('title', '')} 案卷")
        pdf.set_author(data.agency_name)
        pdf.set_creator("CaseTrail")
        self.pdf = pdf

    def text(self, value: str, size: float = 10.5, h: float = 6, align: str = "L") -> None:
        self.pdf.set_font("cjk", size=size)
        self.pdf.multi_cell(0, h, value, align=align, new_x="LMARGIN", new_y="NEXT")

    def pair(self, label: str, value: str) -> None:
        if value:
            self.text(f"{label}：{value}")

    def heading(self, value: str, size: float = 14) -> None:
        self.pdf.ln(2)
        self.text(value, size=size, h=8)
        self.pdf.ln(1)

    def render(self) -> bytes:
        self.cover()
        self.material_list()
        for material in self.materials:
            self.material(material)
        self.compliance()
        self.checkpoint()
        return bytes(self.pdf.output())

    def cover(self) -> None:
        d, c = self.data, self.data.case
        self.pdf.add_page()
        self.pdf.ln(30)
        self.text(d.agency_name, size=16, h=10, align="C")
        self.text("行政执法案卷", size=28, h=16, align="C")
        self.pdf.ln(16)
        self.pair("案件名称", c.get("title", ""))
        self.pair("案件编号", c.get("number") or "")
        self.pair("案件标识", c.get("case_id", ""))
        self.pair("当事人", "、".join(p.get("name", "") for p in c.get("parties", [])))
        self.pair("执法类别", c.get("enforcement_kind", ""))
        self.pair(
            "程序", {"general": "一般程序", "simplified": "简易程序"}.get(c.get("procedure"), "")
        )
        self.pair("立案时间", beijing(c.get("opened_at")))
        archive = next((e for e in d.entries if e.kind == "record.archive"), None)
        if archive:
            self.pair("归档号", archive.payload.get("dossier_number", ""))
            self.pair("归档时间", beijing(entry_time(archive)))
            self.pair("保管期限", shown(archive.payload.get("retention")))
        self.pair("材料数", str(len(self.materials)))
        self.pair("导出时间", beijing(d.generated_at))
        self.pair("日志检查点", f"树大小 {d.checkpoint_size}")

    def material_list(self) -> None:
        self.pdf.add_page()
        self.heading("材料目录", size=18)
        pdf = self.pdf
        widths = (14, 100, 42, 18)
        pdf.set_font("cjk", size=10)
        for label, width in zip(("序号", "材料名称", "形成时间", "页码"), widths, strict=True):
            pdf.cell(width, 7, label, border=1, align="C")
        pdf.ln(7)
        for m in self.materials:
            page = self.pages.get(m.number)
            row = (str(m.number), m.title, beijing(m.time), str(page) if page else "…")
            pdf.set_font("cjk", size=9)
            for value, width in zip(row, widths, strict=True):
                pdf.cell(width, 6.5, value[:40], border=1)
            pdf.ln(6.5)

    def material(self, m: Material) -> None:
        e, pdf = m.entry, self.pdf
        pdf.add_page()
        self.started[m.number] = pdf.page_no()
        self.heading(f"{m.number}. {m.title}")
        claimed = e.body.get("claimed") or {}
        geo = claimed.get("geo") or {}
        self.pair("形成时间（设备）", beijing(claimed.get("time")))
        self.pair("接收时间（服务器）", beijing(e.body["received_at"]))
        if claimed.get("clock_offset_ms") is not None:
            self.pair("设备时差", f"{claimed['clock_offset_ms'] / 1000:.1f} 秒")
        if geo:
            self.pair(
                "位置",
                f"{geo['lat']:.5f}, {geo['lon']:.5f}（精度 {geo.get('accuracy_m') or '?'} 米）",
            )
        self.pair("记录人", e.body.get("actor") or "")
        self.pair("设备", e.body.get("device") or "")
        self.pair("记录哈希", e.hash)
        if e.hash in self.data.sm3:
            self.pair("记录哈希（SM3）", self.data.sm3[e.hash])
        if e.body.get("corrects"):
            self.pair("更正", f"{e.body['corrects']['hash']}（{e.body['corrects']['reason']}）")
        pdf.ln(2)
        if e.kind in AV_KINDS:
            self.av_item(e)
        elif e.kind == "media.photo":
            self.photo(e)
        elif e.kind == "media.signature":
            self.strokes(e.payload.get("strokes") or [])
        for name, value in e.payload.items():
            if name in SKIP_FIELDS or value in (None, "", [], {}):
                continue
            self.pair(field_title(e.kind, name), shown(value))
        findings = [f.get("code") for f in e.payload.get("findings") or [] if isinstance(f, dict)]
        if findings:
            self.pair("核验结果", "、".join(c for c in findings if c))
        self.signatures(e.payload.get("signatures") or [])

    def av_item(self, e: Entry) -> None:
        p = e.payload
        linked = p.get("for_entry") or p.get("step") or ""
        proves = p.get("caption") or ""
        for other in self.data.entries:
            if other.kind == "record.av_recording_note" and e.hash in (
                other.payload.get("media_entries") or []
            ):
                proves = other.payload.get("proves") or proves
        self.pair(f"{AV_KINDS[e.kind]}文件哈希（SHA-256）", p.get("sha256", ""))
        if p.get("sha256") in self.data.sm3:
            self.pair(f"{AV_KINDS[e.kind]}文件哈希（SM3）", self.data.sm3[p["sha256"]])
        self.pair("存储位置", f"{self.data.storage}/{p.get('sha256', '')}")
        self.pair("制作方法", f"{e.body.get('device') or '执法记录设备'}，{p.get('media_type', '')}，"
                              f"{p.get('size', 0)} 字节")  # fmt: skip
        self.pair(
            "制作时间", beijing((e.body.get("claimed") or {}).get("time") or e.body["received_at"])
        )
        self.pair("制作人", e.body.get("actor") or "")
        self.pair("证明对象", f"{proves}{'（关联记录 ' + linked + '）' if linked else ''}")

    def photo(self, e: Entry) -> None:
        if e.payload.get("sha256") in self.data.sm3:
            self.pair("照片文件哈希（SM3）", self.data.sm3[e.payload["sha256"]])
        image = self.data.blobs.get(e.payload.get("sha256", ""))
        picture = thumbnail(image) if image else None
        if picture is None:
            self.text("（照片文件已按保存期限处置或无法显示，见哈希）")
            return
        self.pdf.image(picture, w=110)
        self.pdf.ln(2)

    def strokes(self, strokes: list, width: float = 120, height: float = 40) -> None:
        points = [p for stroke in strokes for p in stroke if len(p) >= 2]
        if not points:
            return
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        span = max(max(xs) - min(xs), 1e-9), max(max(ys) - min(ys), 1e-9)
        scale = min(width / span[0], height / span[1])
        pdf, x0, y0 = self.pdf, self.pdf.get_x(), self.pdf.get_y()
        if y0 + height > pdf.h - 20:
            pdf.add_page()
            y0 = pdf.get_y()
        pdf.set_draw_color(20, 20, 120)
        for stroke in strokes:
            line = [(x0 + (p[0] - min(xs)) * scale, y0 + (p[1] - min(ys)) * scale) for p in stroke]
            if len(line) >= 2:
                pdf.set_line_width(0.5)
                pdf.polyline(line)
        pdf.set_draw_color(0)
        pdf.set_y(y0 + height + 3)

    def signatures(self, sigs: list[dict[str, Any]]) -> None:
        if not sigs:
            return
        self.text("签名确认：", size=10.5)
        roles = {"officer": "执法人员", "party": "当事人", "witness": "见证人",
                 "participant": "参加人", "recipient": "受送达人"}  # fmt: skip
        methods = {
            "drawn": "手写签名",
            "fingerprint": "捺指印",
            "passkey": "通行密钥",
            "refused": "拒绝签字",
        }
        for sig in sigs:
            line = f"{roles.get(sig.get('role'), sig.get('role', ''))} {sig.get('name', '')}：" \
                   f"{methods.get(sig.get('method'), sig.get('method', ''))}"  # fmt: skip
            if sig.get("refusal_reason"):
                line += f"（{sig['refusal_reason']}）"
            self.text(line, size=10)
            image = self.data.blobs.get(sig.get("blob") or "")
            picture = thumbnail(image, 400) if image else None
            if picture is not None:
                self.pdf.image(picture, h=18)

    def compliance(self) -> None:
        self.pdf.add_page()
        self.heading("合规检查摘要", size=16)
        counts: dict[str, int] = {}
        for req in self.data.compliance:
            counts[req["status"]] = counts.get(req["status"], 0) + 1
        self.text("，".join(f"{STATUS_ZH.get(k, k)} {v} 项" for k, v in sorted(counts.items())))
        self.pdf.ln(2)
        for req in self.data.compliance:
            self.text(
                f"【{STATUS_ZH.get(req['status'], req['status'])}】{req['message_zh']}", size=9.5
            )

    def checkpoint(self) -> None:
        self.pdf.add_page()
        self.heading("完整性证明", size=16)
        self.text(
            "本案卷各记录的哈希均已写入全局日志。下列签名检查点可用于离线核验（同时导出的验证包含每条记录的包含证明）。",
            size=10,
        )
        self.pdf.ln(2)
        self.pdf.set_font("cjk", size=8.5)
        self.pdf.multi_cell(0, 5, self.data.checkpoint_note, new_x="LMARGIN", new_y="NEXT")


def render_dossier(data: DossierInput) -> tuple[bytes, list[Material], dict[int, int]]:
    """The unsigned PDF, the materials in order, and the page each material starts on."""
    materials = materials_of(data.entries)
    first = _Layout(data, materials, {})
    first.render()
    second = _Layout(data, materials, first.started)
    pdf = second.render()
    return pdf, materials, second.started
