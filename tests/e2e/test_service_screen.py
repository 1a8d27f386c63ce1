"""The officer's 送达 screen on a phone: consent, a link shown once with its QR code, the party opening and
confirming it on their own phone, the status changing for the officer, and revoking another link.
And the postal-service form, where receipts are photographed, not typed as hashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    Server,
    add_authenticator,
    context_options,
    register_officer,
    wait_all_sent,
    wait_outbox,
)
from tests.e2e.service_flow import (
    PARTY,
    generate_document,
    jpeg,
    make_link,
    open_penalty_case,
    open_service_screen,
    record_consent_with_drawn_signature,
)

pytestmark = pytest.mark.e2e


def test_officer_serves_by_link_sees_the_party_confirm_and_revokes_another_link(
    page: Page, browser: Browser, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="李警官")
    case_id = open_penalty_case(page, "拖欠工资案（送达）")
    document = generate_document(page, case_id)
    open_service_screen(page, case_id)

    # Without consent the server refuses a link, and the screen says why.
    page.select_option("#link-document", document)
    page.click("#link-create")
    expect(page.locator(".toast.error")).to_contain_text("电子送达确认书")

    record_consent_with_drawn_signature(page)
    url = make_link(page, document)
    expect(page.locator(".service-link[data-status=issued]")).to_have_count(1)

    # The party, on their own phone with no account.
    phone = browser.new_context(**context_options(server))
    try:
        party = phone.new_page()
        add_authenticator(party)
        party.goto(url.replace(server.url, ""))
        expect(party.locator("#doc")).to_be_visible(timeout=30_000)
        party.locator("#passkey").click()
        expect(party.locator("#receipt")).to_be_visible(timeout=30_000)
    finally:
        phone.close()

    # The officer's list follows without a reload.
    expect(page.locator(".service-link[data-status=confirmed]")).to_have_count(1, timeout=20_000)

    # A second link, made by mistake, is revoked with a reason and no longer opens.
    second = make_link(page, document)
    page.locator(".service-link[data-status=issued] .revoke").click()
    page.fill("dialog.ask textarea", "重复生成")
    page.click("dialog.ask button[type=submit]")
    expect(page.locator(".service-link[data-status=revoked]")).to_have_count(1, timeout=15_000)
    token = second.split("#", 1)[1]
    assert page.request.get("/api/party", headers={"x-party-token": token}).status == 404


def test_postal_service_form_attaches_a_photo_of_the_return_card(
    page: Page, server: Server, tmp_path: Path
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="王警官")
    case_id = open_penalty_case(page, "拖欠工资案（邮寄）")
    document = generate_document(page, case_id)
    page.goto(f"/#/cases/{case_id}/steps/service?kind=record.service_postal")
    page.wait_for_selector("#submit")
    # Only forms the officer writes are offered; the link opening is shown as automatic.
    kinds = page.locator("#kind option").evaluate_all("os => os.map(o => o.value)")
    assert "record.service_postal" in kinds and "service.opened" not in kinds
    expect(page.locator("#automatic-kinds [data-kind='service.opened']")).to_be_visible()
    expect(page.locator("#to-service")).to_be_visible()

    page.fill("#f-p\\.document_name", "权利告知书")
    page.fill("#f-p\\.document_number", "告〔2026〕1号")
    page.fill("#f-p\\.recipient", PARTY)
    page.select_option("#f-p\\.carrier", "ems")
    page.fill("#f-p\\.tracking_number", "EA123456789CN")
    page.fill("#f-p\\.posted_at", "2026-03-01T10:00")
    served = page.locator("select[data-field=served_entry]")
    expect(served.locator(f"option[value='{document}']")).to_have_count(1, timeout=15_000)
    served.select_option(document)
    photo = tmp_path / "return-card.jpg"
    photo.write_bytes(jpeg("return card"))
    page.locator("[data-field=return_card_blob] input[type=file]").set_input_files(str(photo))
    receipt = page.locator("[data-field=return_card_blob]")
    expect(receipt).not_to_have_attribute("data-sha256", "", timeout=15_000)
    sha = receipt.get_attribute("data-sha256")
    page.click("#submit")
    sent = wait_all_sent(page)
    record = next(i for i in sent if i["body"].get("kind") == "record.service_postal")
    assert record["body"]["payload"]["return_card_blob"] == sha
    assert record["body"]["payload"]["served_entry"] == document
    media = [i for i in sent if i["type"] == "media" and i["sha256"] == sha]
    assert media and media[0]["seq"] < record["seq"]

    # In English the carrier reads as words, not as stored values.
    page.evaluate("localStorage.setItem('casetrail.lang', 'en')")
    page.reload()
    page.wait_for_selector("#f-p\\.carrier")
    options = page.locator("#f-p\\.carrier option").all_inner_texts()
    assert "Registered mail" in options and "registered_mail" not in options


def test_officer_publishes_a_notice_photographs_it_posted_and_is_told_links_need_the_network(
    page: Page, server: Server, tmp_path: Path
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="孙警官")
    case_id = open_penalty_case(page, "拖欠工资案（公告）")
    document = generate_document(page, case_id)
    open_service_screen(page, case_id)

    page.select_option("#notice-purpose", "service")
    page.fill("#notice-title", "公告送达：张三丰")
    page.fill("#notice-text", "张三丰：本机关依法向你公告送达权利告知书。")
    page.select_option("#notice-document", document)
    page.click("#notice-publish")
    notice = page.locator(".notice[data-state=up]")
    expect(notice).to_have_count(1, timeout=15_000)
    photo = tmp_path / "posted.jpg"
    photo.write_bytes(jpeg("posted on the board"))
    notice_hash = notice.get_attribute("data-notice")
    notice.locator("input.posting-photo").set_input_files(str(photo))

    wait_outbox(
        page,
        "(items, notice) => items.some((i) => i.type === 'media' && i.body.payload?.for_entry === notice)",
        notice_hash,
        timeout_s=15,
    )
    wait_all_sent(page)
    board = page.request.get("/api/notices").json()
    [shown] = [n for a in board for n in a["notices"] if n["notice_id"] == notice_hash]
    assert shown["title"] == "公告送达：张*丰" and len(shown["photo_urls"]) == 1
    expect(page.locator(".notice .posting-count")).to_contain_text("1", timeout=15_000)

    # Served some other way after all: the officer takes the notice down, saying why.
    page.locator(f".notice[data-notice='{notice_hash}'] button.withdraw").click()
    page.locator("dialog.ask textarea").fill("当事人已到机关领取文书")
    page.locator("dialog.ask button[type=submit]").click()
    expect(page.locator(f".notice[data-notice='{notice_hash}']")).to_have_attribute(
        "data-state", "down", timeout=15_000
    )
    board = page.request.get("/api/notices").json()
    assert notice_hash not in [n["notice_id"] for a in board for n in a["notices"]]

    # Offline the screen still opens, and says plainly that a link needs the network.
    page.context.set_offline(True)
    try:
        page.select_option("#link-document", document)
        page.click("#link-create")
        expect(page.locator(".toast.error").last).to_contain_text("当前离线")
    finally:
        page.context.set_offline(False)
