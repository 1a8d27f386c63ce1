"""The party's receipt is a paper too: a 送达回证 PDF to print or forward, checkable on /verify/."""

from __future__ import annotations

import hashlib
import io
import json

from pypdf import PdfReader

from backend.service.receipts import verify_receipt
from tests.integration.service.conftest import as_party
from tests.integration.service.test_party_link import STROKES, signature_png


async def test_the_receipt_pdf_says_who_what_when_how_and_carries_the_verifiable_receipt(
    app_client, world
):
    await world.consent()
    made = await world.link()
    party = as_party(made.token)
    await app_client.get("/api/party", headers=party)
    confirmed = await app_client.post(
        "/api/party/confirm",
        json={"method": "drawn", "png_base64": signature_png(), "strokes": STROKES},
        headers=party,
    )
    assert confirmed.status_code == 201, confirmed.text
    paper = await app_client.get("/api/party/receipt.pdf", headers=party)
    assert paper.status_code == 200, paper.text
    assert paper.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(paper.content))
    text = "".join(p.extract_text() for p in reader.pages)
    sha = made.entry.payload["document_sha256"]
    for words in (
        "送达回证",
        "张三丰",
        "行政处罚决定书",
        "蒸人社罚〔2026〕1号",
        "电子送达",
        "手写签名",
    ):
        assert words in text, words
    # A long line may wrap anywhere (hex digits differ in width), so the hash is looked for unwrapped.
    unwrapped = "".join(text.split())
    assert sha in unwrapped and "casetrail.local/log" in unwrapped
    [attached] = reader.attachments["casetrail-receipt.json"]
    receipt = json.loads(attached)
    assert verify_receipt(receipt, world.ledger.signer.vkey).ok
    assert receipt["document_sha256"] == sha
    # The JSON is in the file as written, so the page can read it without inflating streams.
    assert b'{"format":"casetrail-receipt/1"' in paper.content


async def test_the_verification_page_learns_what_a_paper_is_from_its_digest_only(app_client, world):
    await world.consent()
    made = await world.link()
    sha = made.entry.payload["document_sha256"]
    known = await app_client.get(f"/api/verify/documents/{sha}")
    assert known.status_code == 200, known.text
    facts = known.json()
    assert facts["title"] == "行政处罚决定书" and facts["number"] == "蒸人社罚〔2026〕1号"
    assert facts["agency"] == "衡阳市蒸湘区人力资源和社会保障局" and facts["served"]
    unknown = await app_client.get(f"/api/verify/documents/{hashlib.sha256(b'x').hexdigest()}")
    assert unknown.status_code == 404 and unknown.json()["code"] == "paper_not_found"
    garbage = await app_client.get("/api/verify/documents/not-a-digest")
    assert garbage.status_code == 404


async def test_the_verification_page_is_served_with_the_public_pages_security_headers(app_client):
    for path in ("/verify/", "/party/", "/notices/"):
        page = await app_client.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert 'rel="icon"' in page.text and "/public-theme.css" in page.text
    assert (await app_client.get("/public-theme.css")).status_code == 200
