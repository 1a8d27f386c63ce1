"""A party holds papers: on a phone and at a desk, the party opens the link, reads the document,
confirms, downloads the 送达回证 PDF and checks it on /verify/, then asks for a copy of a record
that the head approves in the approvals tab, and downloads it. Screenshots go to
test-artifacts/screens/ for review."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, add_authenticator, context_options, register_officer
from tests.e2e.service_flow import (
    generate_document,
    make_link,
    open_penalty_case,
    open_service_screen,
    record_consent_with_drawn_signature,
)
from tests.e2e.test_plain_words import SCAN, machine_words  # noqa: E402
from tests.e2e.test_supervisor_review import new_staff_page

pytestmark = pytest.mark.e2e
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}},
    "desktop": {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False},
}


@pytest.fixture(scope="module")
def served(browser: Browser, server: Server) -> dict:
    """A case with a generated rights notice and two links to it (one per screen size)."""
    context = browser.new_context(**context_options(server))
    try:
        officer = context.new_page()
        add_authenticator(officer)
        register_officer(officer, server, name="赵警官")
        case_id = open_penalty_case(officer, "拖欠工资案")
        document = generate_document(officer, case_id)
        open_service_screen(officer, case_id)
        # Before signing, the party reads what they consent to: channel, address, how papers arrive.
        officer.select_option("#consent-recipient", "张三丰")
        officer.fill("#consent-contact", "13812345678")
        words = officer.locator("#consent-text")
        expect(words).to_contain_text("本人张三丰同意衡阳市蒸湘区人力资源和社会保障局以电子方式")
        expect(words).to_contain_text("送达方式：送达链接（二维码）；送达地址：13812345678")
        expect(words).to_contain_text("首次打开链接即视为送达")
        words.scroll_into_view_if_needed()
        shot(officer, "consent-text-phone")
        record_consent_with_drawn_signature(officer)
        return {
            "case_id": case_id,
            "phone": make_link(officer, document).split("#", 1)[1],
            "desktop": make_link(officer, document).split("#", 1)[1],
        }
    finally:
        context.close()


@pytest.fixture(scope="module")
def head(browser: Browser, server: Server):
    context = browser.new_context(**{**context_options(server), **SIZES["desktop"]})
    page = new_staff_page(context, server, "approver")
    yield page
    context.close()


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def sign_by_hand(page: Page) -> None:
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    assert box
    page.mouse.move(box["x"] + 30, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 150, box["y"] + 90, steps=8)
    page.mouse.move(box["x"] + 260, box["y"] + 50, steps=8)
    page.mouse.up()
    page.locator("#sign").click()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_party_confirms_keeps_a_paper_receipt_that_verifies_and_gets_an_approved_copy(
    browser: Browser, server: Server, served: dict, head: Page, size: str, tmp_path: Path
) -> None:
    context = browser.new_context(**{**context_options(server), **SIZES[size]})
    try:
        party = context.new_page()
        token = served[size]
        party.goto(f"/party/#{token}")
        expect(party.locator("#doc")).to_be_visible(timeout=30_000)
        expect(party.locator("#lang")).to_have_attribute("aria-label", "English")
        shot(party, f"party-{size}-document")
        words = machine_words()
        problems = party.evaluate(SCAN, words)

        if size == "desktop":
            add_authenticator(party)
            party.locator("#passkey").click()
        else:
            sign_by_hand(party)
        expect(party.locator("#receipt")).to_be_visible(timeout=30_000)
        with party.expect_download() as info:
            party.locator("#receipt-pdf").click()
        receipt = tmp_path / "送达回证.pdf"
        info.value.save_as(receipt)
        assert receipt.read_bytes().startswith(b"%PDF-")
        served_pdf = tmp_path / "document.pdf"
        served_pdf.write_bytes(
            party.request.get("/api/party/document", headers={"x-party-token": token}).body()
        )

        checker = context.new_page()
        checker.goto(party.locator("#verify-link").get_attribute("href") or "/verify/")
        expect(checker.locator("#expect")).to_be_visible()
        checker.locator("#files").set_input_files([str(receipt), str(served_pdf)])
        results = checker.locator("article.result")
        expect(results).to_have_count(2, timeout=30_000)
        expect(checker.locator("article.result[data-verdict=ok]")).to_have_count(2)
        expect(results.first).to_contain_text("送达的就是这份文书")
        expect(results.first).to_contain_text("签名检查点经机关公钥验证通过")
        expect(results.nth(1)).to_contain_text("权利告知书")
        shot(checker, f"verify-{size}")
        # The page names the files the person picked (their own names, 送达回证.pdf), nothing else.
        mine = ("送达回证.pdf", "document.pdf")
        problems += [p for p in checker.evaluate(SCAN, words) if not any(n in p for n in mine)]

        section = party.locator("#copies")
        expect(section).to_be_visible()
        record = section.locator(".record", has_text="权利告知书").first
        record.locator("input").check()
        section.locator("button[type=submit]").click()
        expect(section.locator("li[data-state=waiting]")).to_have_count(1, timeout=30_000)
        shot(party, f"party-{size}-copy-asked")

        head.goto("/#/review/approvals")
        head.reload()  # the same hash again would keep the last visit's table
        row = head.locator("[data-kind='party.copy_requested']")
        expect(row).to_have_count(1, timeout=30_000)
        expect(row.locator(".asks")).to_contain_text("当事人申请复制：")
        expect(row.locator("button[data-decision=return]")).to_have_count(0)
        shot(head, f"approvals-party-request-{size}")
        row.locator("button[data-decision=approve]").click()
        expect(row.locator(".state .badge.ok")).to_be_visible(timeout=30_000)

        party.reload()
        approved = party.locator("#copy-requests li[data-state=approved]")
        expect(approved).to_have_count(1, timeout=30_000)
        with party.expect_download() as info:
            approved.locator("button[data-item]").first.click()
        copy = tmp_path / "copy.pdf"
        info.value.save_as(copy)
        assert copy.read_bytes().startswith(b"%PDF-")
        shot(party, f"party-{size}-copy-approved")
        problems += party.evaluate(SCAN, words)
        assert not problems, "machine text on the party's screens:\n" + "\n".join(problems)
        light = party.evaluate("getComputedStyle(document.body).backgroundColor")
        party.emulate_media(color_scheme="dark")
        expect(party.locator("body")).not_to_have_css("background-color", light)
        shot(party, f"party-{size}-dark")
    finally:
        context.close()
