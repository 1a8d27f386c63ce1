"""An officer puts a colleague on the case from the staff list, asks them to sign on their own phone,
makes the decision letter in the app, the head approves it with a passkey, and the 送达 screen offers it."""

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
)
from tests.e2e.service_flow import PARTY

pytestmark = pytest.mark.e2e
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def me(page: Page) -> dict:
    return page.evaluate("fetch('/api/me').then(r => r.json())")


def phone(browser: Browser, server: Server) -> Page:
    ctx = browser.new_context(
        **{**context_options(server), "viewport": {"width": 390, "height": 844}}
    )
    page = ctx.new_page()
    add_authenticator(page)
    return page


def test_a_colleague_is_picked_by_name_and_signs_on_their_own_phone(
    browser: Browser, server: Server
) -> None:
    li_phone = phone(browser, server)
    register_officer(li_phone, server, name="李执法")
    li = me(li_phone)["staff_id"]
    zhou_phone = phone(browser, server)
    register_officer(zhou_phone, server, name="周执法")

    zhou_phone.click("#new-case")
    zhou_phone.fill("#f-p\\.title", "某建筑公司拖欠农民工工资案")
    zhou_phone.select_option("#f-p\\.enforcement_kind", "inspection")
    zhou_phone.fill("#f-p\\.parties-0\\.name", PARTY)
    zhou_phone.select_option("#f-p\\.parties-0\\.kind", "person")
    # The colleague is chosen by name from the agency's staff, never typed as a number.
    expect(zhou_phone.locator("#f-officers")).to_contain_text("李执法")
    shot(zhou_phone, "case_new_colleagues")
    zhou_phone.check(f'#f-officers input[data-staff-id="{li}"]')
    zhou_phone.click("#open-case")
    zhou_phone.wait_for_selector("[data-step=onsite_inspection]")
    case_id = zhou_phone.url.split("#/cases/")[1]

    zhou_phone.click("#case-team")
    expect(zhou_phone.locator("#team-members")).to_contain_text("李执法")
    expect(zhou_phone.locator("#team-members")).to_contain_text("周执法")
    expect(zhou_phone.locator("#team-members")).not_to_contain_text("未知人员")
    shot(zhou_phone, "case_team")

    zhou_phone.goto(f"/#/cases/{case_id}/steps/onsite_inspection")
    zhou_phone.fill("#f-p\\.target", "某建筑公司项目部")
    zhou_phone.fill("#f-p\\.findings", "工资发放台账缺失")
    zhou_phone.click("#submit")
    expect(zhou_phone.locator("#cosign-ask")).to_be_visible(timeout=60_000)
    zhou_phone.click("#cosign-ask")
    expect(zhou_phone.locator(".toast", has_text="已通知")).to_contain_text("李执法")

    # 李's own phone: the request waits on the home screen; one touch of the sensor signs it.
    li_phone.goto("/#/")
    li_phone.reload()
    item = li_phone.locator("#to-sign .to-sign-item")
    expect(item).to_contain_text("某建筑公司拖欠农民工工资案", timeout=30_000)
    expect(item).to_contain_text("周执法")
    shot(li_phone, "home_to_sign")
    item.locator("button").click()
    expect(item.locator(".badge.ok")).to_be_visible(timeout=15_000)
    timeline = li_phone.evaluate(
        "c => fetch(`/api/cases/${c}/timeline?limit=1000`).then(r => r.json())", case_id
    )["entries"]
    signed = [e["actor"] for e in timeline if e["kind"] == "signature.passkey"]
    assert signed == [li]
    li_phone.context.close()
    zhou_phone.context.close()


def test_the_decision_letter_is_made_approved_and_offered_for_service(
    browser: Browser, server: Server
) -> None:
    officer = phone(browser, server)
    register_officer(officer, server, name="吴执法")
    head = phone(browser, server)
    register_officer(head, server, role="approver", name="郑局长")

    officer.click("#new-case")
    officer.fill("#f-p\\.title", "某劳务公司未依法支付工资案")
    officer.select_option("#f-p\\.enforcement_kind", "penalty")
    officer.fill("#f-p\\.parties-0\\.name", PARTY)
    officer.select_option("#f-p\\.parties-0\\.kind", "person")
    officer.click("#open-case")
    officer.wait_for_selector("[data-step=decision]")
    case_id = officer.url.split("#/cases/")[1]
    wait_all_sent(officer)
    officer.reload()
    expect(officer.locator("[data-document=decision_letter]")).to_contain_text("行政处罚决定书")

    officer.click("[data-step=decision]")
    officer.fill("#f-p\\.party", PARTY)
    officer.fill("#f-p\\.legal_basis", "《劳动保障监察条例》第二十六条")
    officer.fill("#f-p\\.outcome", "责令支付拖欠工资")
    officer.fill("#f-p\\.remedies", "可在六十日内申请行政复议")
    officer.fill("#f-p\\.agency_name", "衡阳市蒸湘区人力资源和社会保障局")
    officer.click("#submit")
    wait_all_sent(officer)

    officer.goto(f"/#/cases/{case_id}")
    letter = officer.locator("[data-document=decision_letter]")
    letter.locator(".doc-generate").click()
    expect(letter.locator(".doc-number")).to_be_visible(timeout=30_000)
    expect(letter.locator(".doc-approval")).to_have_attribute("data-decision", "waiting")
    letter.locator("summary").click()
    expect(letter.locator(".paper")).to_contain_text("责令支付拖欠工资")
    shot(officer, "case_documents")

    head.goto(f"/#/cases/{case_id}")
    approve = head.locator("[data-document=decision_letter] .doc-approve")
    approve.click()
    expect(head.locator("[data-document=decision_letter] .doc-approval")).to_have_attribute(
        "data-decision", "approved", timeout=30_000
    )
    expect(head.locator("[data-document=decision_letter] .doc-approval")).to_contain_text("郑局长")

    officer.reload()
    expect(officer.locator("[data-document=decision_letter] .doc-approval")).to_have_attribute(
        "data-decision", "approved", timeout=30_000
    )
    officer.click("#case-service")
    officer.wait_for_selector("#link-document")
    expect(officer.locator("#link-document option")).to_contain_text(["行政处罚决定书"])
    shot(officer, "service_documents")
    officer.context.close()
    head.context.close()
