"""Served documents come out as PDFs in Chinese, with the agency, the number and the record's hash on them."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from backend.cases.documents import generate_document
from backend.errors import Invalid
from backend.evidence.blobstore import DirectoryBlobStore
from backend.ledger.entry import Draft

CASE = "6b0f5a3e-3c1d-4c55-9f53-0d6f1b8e2a10"
AGENCY = "衡阳市蒸湘区人力资源和社会保障局"


@pytest.fixture
def blobs(tmp_path):
    return DirectoryBlobStore(tmp_path / "blobs")


async def open_penalty_case(ledger):
    await ledger.append(
        Draft(
            CASE,
            "case.opened",
            "open-1",
            {
                "title": "某劳务公司拖欠工资案",
                "agency_id": "zhengxiang-hrss",
                "enforcement_kind": "penalty",
                "procedure": "general",
                "start_path": "ex_officio",
                "parties": [{"name": "某劳务公司", "kind": "organisation"}],
            },
            actor="E001",
        )
    )
    return await ledger.append(
        Draft(
            CASE,
            "record.decision",
            "decision-1",
            {
                "document_number": "蒸人社监罚〔2025〕7号",
                "party": "某劳务公司",
                "facts_and_evidence": "经查，该公司拖欠十二名劳动者工资共计八万元。",
                "legal_basis": "《劳动保障监察条例》第二十六条",
                "outcome": "责令支付拖欠工资并处罚款",
                "fine_amount": 20000,
                "remedies": "如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。",
                "agency_name": AGENCY,
                "decided_on": "2025-03-10",
            },
            actor="E001",
        )
    )


def pdf_text(data: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages), reader


async def read_blob(blobs, sha):
    return b"".join([chunk async for chunk in blobs.open(sha)])


async def test_a_decision_letter_prints_agency_number_date_and_the_record_hash(ledger, blobs):
    decision = await open_penalty_case(ledger)
    entry = await generate_document(
        ledger,
        blobs,
        CASE,
        client_id="doc-1",
        document_kind="decision_letter",
        renders=decision.hash,
        actor="E001",
    )
    assert entry.kind == "document.generated"
    assert entry.payload["number"] == "蒸人社监罚〔2025〕7号"
    assert entry.payload["renders"] == decision.hash
    assert entry.payload["media_type"] == "application/pdf"
    [sha] = entry.body["blobs"]
    data = await read_blob(blobs, sha)
    assert data.startswith(b"%PDF-")
    text, reader = pdf_text(data)
    assert AGENCY in text
    assert "蒸人社监罚〔2025〕7号" in text
    assert decision.hash in text
    assert "2025年3月10日" in text
    # The pack names it as the agency does.
    assert "行政处罚决定书" in text and "某劳务公司" in text


async def test_the_cjk_font_is_embedded_in_the_pdf(ledger, blobs):
    decision = await open_penalty_case(ledger)
    entry = await generate_document(
        ledger, blobs, CASE, client_id="doc-1", document_kind="decision_letter",
        renders=decision.hash, actor="E001",
    )  # fmt: skip
    _, reader = pdf_text(await read_blob(blobs, entry.body["blobs"][0]))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        for descendant in font.get("/DescendantFonts", []):
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            embedded += [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
    assert embedded


async def test_the_same_request_twice_gives_one_document(ledger, blobs):
    decision = await open_penalty_case(ledger)
    args = dict(client_id="doc-1", document_kind="decision_letter", renders=decision.hash)
    first = await generate_document(ledger, blobs, CASE, actor="E001", **args)
    again = await generate_document(ledger, blobs, CASE, actor="E001", **args)
    assert first.hash == again.hash


async def test_a_service_receipt_gets_a_number_when_the_record_has_none(ledger, blobs):
    await open_penalty_case(ledger)
    served = await ledger.append(
        Draft(
            CASE,
            "record.service_direct",
            "served-1",
            {
                "document_name": "行政处罚决定书",
                "recipient": "某劳务公司",
                "server": "张执法、李执法",
                "served_at": "2025-03-11T10:00:00+08:00",
                "place": "该公司办公室",
            },
        )
    )
    entry = await generate_document(
        ledger, blobs, CASE, client_id="doc-2", document_kind="service_receipt",
        renders=served.hash, actor="E001",
    )  # fmt: skip
    number = entry.payload["number"]
    assert number.startswith("送〔2025〕")
    text, _ = pdf_text(await read_blob(blobs, entry.body["blobs"][0]))
    assert number in text and served.hash in text and "送达回证" in text


async def test_a_document_must_render_a_record_of_its_own_kind(ledger, blobs):
    decision = await open_penalty_case(ledger)
    with pytest.raises(Invalid) as refused:
        await generate_document(
            ledger, blobs, CASE, client_id="doc-3", document_kind="urging_notice",
            renders=decision.hash, actor="E001",
        )  # fmt: skip
    assert refused.value.code == "document_source_kind"
