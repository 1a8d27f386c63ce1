"""Served documents come out as PDFs in Chinese, with the agency, the number and the record's hash on them."""

from __future__ import annotations

import asyncio
import io

import pytest
from pypdf import PdfReader

from backend.blobstore import DirectoryBlobStore
from backend.cases.documents import generate_document
from backend.errors import Invalid
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
    assert text.count(decision.hash) == 1, "the digest is printed once, in the verification footer"
    assert reader.pages[-1]["/Resources"]["/XObject"], "beside a QR code to /verify/"


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
    assert number == "蒸人社送字〔2025〕第1号"
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


async def open_other_case(ledger, case_id: str, agency_id: str) -> None:
    await ledger.append(
        Draft(
            case_id,
            "case.opened",
            f"open-{case_id}",
            {
                "title": "另一案",
                "agency_id": agency_id,
                "enforcement_kind": "penalty",
                "procedure": "general",
                "start_path": "ex_officio",
                "parties": [{"name": "某公司", "kind": "organisation"}],
            },
            actor="E001",
        )
    )


async def rights_notice(ledger, case_id: str, n: int, told_on: str = "2026-04-01"):
    return await ledger.append(
        Draft(
            case_id,
            "record.rights_notice",
            f"rights-{case_id}-{n}",
            {
                "proposed_decision": "拟处罚款二万元",
                "rights": ["statement", "defence"],
                "how_told": "served_document",
                "deadline_days": 3,
            },
            actor="E001",
            claimed={"time": f"{told_on}T09:00:00+08:00"},
        )
    )


async def test_a_paper_prints_choices_in_words_never_their_codes(ledger, blobs):
    await open_penalty_case(ledger)
    notice = await rights_notice(ledger, CASE, 1)
    entry = await generate_document(
        ledger, blobs, CASE, client_id="doc-r", document_kind="rights_notice",
        renders=notice.hash, actor="E001",
    )  # fmt: skip
    text, _ = pdf_text(await read_blob(blobs, entry.body["blobs"][0]))
    assert "陈述、申辩" in text and "送达告知书" in text
    for code in ("statement", "defence", "served_document"):
        assert code not in text


async def test_each_agency_numbers_its_papers_of_one_type_per_year_from_one(ledger, blobs):
    await open_penalty_case(ledger)
    first = await rights_notice(ledger, CASE, 1)
    second = await rights_notice(ledger, CASE, 2)
    next_year = await rights_notice(ledger, CASE, 3, told_on="2027-01-05")
    numbers = []
    for n, record in enumerate((first, second, next_year)):
        entry = await generate_document(
            ledger, blobs, CASE, client_id=f"doc-{n}", document_kind="rights_notice",
            renders=record.hash, actor="E001",
        )  # fmt: skip
        numbers.append(entry.payload["number"])
        text, _ = pdf_text(await read_blob(blobs, entry.body["blobs"][0]))
        assert entry.payload["number"] in text
    assert numbers == [
        "蒸人社罚告字〔2026〕第1号",
        "蒸人社罚告字〔2026〕第2号",
        "蒸人社罚告字〔2027〕第1号",
    ]
    # A resend prints the same number; another agency counts on its own.
    again = await generate_document(
        ledger, blobs, CASE, client_id="doc-1", document_kind="rights_notice",
        renders=second.hash, actor="E001",
    )  # fmt: skip
    assert again.payload["number"] == numbers[1]
    other = "0c7e2f57-6a0b-4d3e-9d7c-2a51f0b1e001"
    await open_other_case(ledger, other, "hebei-hrss")
    theirs = await rights_notice(ledger, other, 1)
    entry = await generate_document(
        ledger, blobs, other, client_id="doc-hebei", document_kind="rights_notice",
        renders=theirs.hash, actor="E001",
    )  # fmt: skip
    assert entry.payload["number"] == "冀人社罚告字〔2026〕第1号"


async def test_papers_made_at_the_same_moment_never_share_a_number(ledger, blobs):
    await open_penalty_case(ledger)
    records = [await rights_notice(ledger, CASE, n) for n in range(8)]
    made = await asyncio.gather(
        *(
            generate_document(
                ledger,
                blobs,
                CASE,
                client_id=f"race-{n}",
                document_kind="rights_notice",
                renders=record.hash,
                actor="E001",
            )  # fmt: skip
            for n, record in enumerate(records)
        )
    )
    serials = sorted(e.payload["serial"] for e in made)
    assert serials == list(range(1, 9))


async def test_the_numbering_comes_back_from_the_ledger_after_a_rebuild(ledger, blobs):
    from backend.cases.document_numbers import DocumentNumber
    from backend.cases.projection import rebuild_all, register

    await register(ledger)
    await open_penalty_case(ledger)
    record = await rights_notice(ledger, CASE, 1)
    await generate_document(
        ledger, blobs, CASE, client_id="doc-a", document_kind="rights_notice",
        renders=record.hash, actor="E001",
    )  # fmt: skip
    await DocumentNumber.delete(force=True)
    await rebuild_all(ledger)
    record = await rights_notice(ledger, CASE, 2)
    entry = await generate_document(
        ledger, blobs, CASE, client_id="doc-b", document_kind="rights_notice",
        renders=record.hash, actor="E001",
    )  # fmt: skip
    assert entry.payload["number"] == "蒸人社罚告字〔2026〕第2号"
