"""What an officer does in the app before a party can be served by link: a case with a generated
document, the party's consent on the 送达 screen, then links made there."""

from __future__ import annotations

import io

from playwright.sync_api import Page, expect

from tests.e2e.conftest import wait_all_sent

PARTY = "张三丰"


def jpeg(text: str = "photo") -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 240), (200, 210, 220))
    ImageDraw.Draw(img).text((10, 10), text, fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, "JPEG")
    return out.getvalue()


def open_penalty_case(page: Page, title: str) -> str:
    page.goto("/#/cases/new")
    page.wait_for_selector("#open-case")
    page.fill("#f-p\\.title", title)
    page.select_option("#f-p\\.enforcement_kind", "penalty")
    page.fill("#f-p\\.parties-0\\.name", PARTY)
    page.select_option("#f-p\\.parties-0\\.kind", "person")
    page.click("#open-case")
    # The form itself lives at #/cases/new: wait for the case's own page.
    page.wait_for_function("/#\\/cases\\/(?!new$)[^/]+$/.test(location.hash)", timeout=30_000)
    case_id = page.evaluate("location.hash.split('/')[2]")
    wait_all_sent(page)
    return case_id


def generate_document(page: Page, case_id: str) -> str:
    """A rights notice recorded and rendered as PDF through the officer API, as the app's other screens do."""
    return page.evaluate(
        """async (c) => {
          const api = await import('/js/api.js');
          const rec = await api.json(`/api/cases/${c}/entries`, { method: 'POST', body: {
            kind: 'record.rights_notice', client_id: crypto.randomUUID(),
            payload: { rights: ['statement', 'defence'], how_told: 'served_document' } } });
          const doc = await api.json(`/api/cases/${c}/documents`, { method: 'POST', body: {
            client_id: crypto.randomUUID(), document_kind: 'rights_notice', renders: rec.hash } });
          return doc.hash;
        }""",
        case_id,
    )


def open_service_screen(page: Page, case_id: str) -> None:
    page.goto(f"/#/cases/{case_id}")
    page.click("#case-service")
    page.wait_for_selector("#consent-save")


def record_consent_with_drawn_signature(page: Page, contact: str = "13812345678") -> None:
    page.select_option("#consent-recipient", PARTY)
    page.fill("#consent-contact", contact)
    page.click("#consent-sign")
    box = page.locator("#consent-pad").bounding_box()
    assert box
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 60, steps=8)
    page.mouse.move(box["x"] + 200, box["y"] + 30, steps=8)
    page.mouse.up()
    page.click("#consent-sig-save")
    expect(page.locator("#consent-sig-state")).to_contain_text("已保存")
    page.click("#consent-save")
    wait_all_sent(page)
    expect(page.locator(".consent[data-state=recorded]")).to_have_count(1, timeout=15_000)


def make_link(page: Page, document_hash: str, statement_days: int | None = None) -> str:
    """Make a link on the service screen; returns the party URL shown once with its QR code."""
    page.select_option("#link-document", document_hash)
    if statement_days:
        page.fill("#link-statement-days", str(statement_days))
    page.click("#link-create")
    expect(page.locator("#link-qr svg")).to_be_visible(timeout=15_000)
    url = page.locator("#link-url").get_attribute("href")
    assert url and "/party/#" in url
    return url
