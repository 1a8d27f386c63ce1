"""The service receipt as a paper (送达回证): who, what, when, how, the digest and the signed checkpoint.

The party prints or forwards it. The machine receipt (JSON, `casetrail verify --receipt`) rides
inside the PDF as an uncompressed attachment, so the public page `/verify/` can check the paper
itself in the browser: entry hashes, inclusion proofs and the checkpoint signature.
"""

from __future__ import annotations

import io
import json
from typing import Any
from zoneinfo import ZoneInfo

from backend.cases.documents import cjk_font, qr_png
from backend.moments import parse_iso

CHINA = ZoneInfo("Asia/Shanghai")
ATTACHMENT = "casetrail-receipt.json"
METHODS = {"drawn": "手写签名", "passkey": "本人设备验证（指纹、面容或锁屏密码）"}
STATEMENTS = {"statement": "陈述", "defence": "申辩"}


def _local(text: str | None) -> str:
    if not text:
        return "—"
    moment = parse_iso(text).astimezone(CHINA)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M:%S}（北京时间）"


def receipt_facts(receipt: dict[str, Any]) -> dict[str, Any]:
    """What the entries in a receipt say happened, in order."""
    bodies = [json.loads(e["body"]) for e in receipt["entries"]]
    confirmed = next((b for b in bodies if b["kind"] == "party.confirmed"), None)
    return {
        "confirmed_at": confirmed["received_at"] if confirmed else None,
        "method": METHODS.get(confirmed["payload"]["method"], "") if confirmed else "",
        "statements": [
            (STATEMENTS.get(b["payload"]["type"], ""), b["received_at"])
            for b in bodies
            if b["kind"] == "party.statement"
        ],
    }


def render_receipt_pdf(
    receipt: dict[str, Any],
    *,
    recipient: str,
    document_number: str,
    verify_url: str,
) -> bytes:
    """The 送达回证 PDF, with the JSON receipt attached."""
    from fpdf import FPDF  # imported on first use: not a cost of every server start
    from fpdf.enums import WrapMode

    font, index = cjk_font()
    facts = receipt_facts(receipt)
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("cjk", "", str(font), collection_font_number=index)
    pdf.set_title(f"{receipt['agency']} 送达回证")
    pdf.set_author(receipt["agency"])
    pdf.set_creator("CaseTrail")
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("cjk", size=15)
    pdf.multi_cell(width, 8, receipt["agency"], align="C", wrapmode=WrapMode.CHAR)
    pdf.set_font("cjk", size=20)
    pdf.multi_cell(width, 12, "送达回证", align="C")
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(width, 6, "（电子送达）", align="C")
    pdf.ln(3)
    rows = [
        ("受送达人", recipient),
        ("送达文书", receipt.get("document_name") or "—"),
        ("文号", document_number or "—"),
        ("送达方式", "电子送达：经受送达人同意，以送达链接方式送达"),
        ("送达时间", _local(receipt.get("served_at")) + "（受送达人首次打开链接）"),
        (
            "签收",
            f"{_local(facts['confirmed_at'])}，{facts['method']}"
            if facts["confirmed_at"]
            else "尚未签收",
        ),
    ]
    for kind, at in facts["statements"]:
        rows.append(("陈述申辩", f"{_local(at)} 提交{kind}"))
    rows.append(("文书摘要", f"SHA-256：{receipt['document_sha256']}"))
    pdf.set_font("cjk", size=10)
    for label, value in rows:
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.multi_cell(28, 7, label, border=1, wrapmode=WrapMode.CHAR, new_x="RIGHT", new_y="TOP")
        pdf.multi_cell(width - 28, 7, value, border=1, wrapmode=WrapMode.CHAR)
    pdf.ln(4)
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(
        width,
        5,
        "以上事项均记录于本机关执法记录系统的只增不改日志，并由本机关密钥签名（签名检查点如下）。"
        "扫描二维码打开查验页面，拖入本回证或所送达的文书即可在浏览器中查验，文件不会上传。",
        wrapmode=WrapMode.CHAR,
    )
    pdf.ln(2)
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(verify_url)), x=pdf.l_margin, y=top, w=30, h=30)
    pdf.set_xy(pdf.l_margin + 34, top)
    pdf.set_font("cjk", size=7)
    pdf.multi_cell(
        width - 34, 3.5, "签名检查点：\n" + receipt["checkpoint"].strip(), wrapmode=WrapMode.CHAR
    )
    pdf.set_x(pdf.l_margin + 34)
    pdf.multi_cell(width - 34, 3.5, f"验证公钥：{receipt['vkey']}", wrapmode=WrapMode.CHAR)
    pdf.set_x(pdf.l_margin + 34)
    pdf.multi_cell(width - 34, 3.5, f"查验：{verify_url}", wrapmode=WrapMode.CHAR)
    pdf.embed_file(
        basename=ATTACHMENT,
        bytes=json.dumps(receipt, ensure_ascii=True, separators=(",", ":")).encode(),
        desc="CaseTrail receipt (casetrail verify --receipt)",
        mime_type="application/json",
        compress=False,
    )
    return bytes(pdf.output())
