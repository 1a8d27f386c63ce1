"""The head's approval on a phone: an officer is not offered a form the server would refuse them;
the agency's approver, not on the case's team, gets it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, add_authenticator, context_options, register_officer
from tests.e2e.service_flow import open_penalty_case

pytestmark = pytest.mark.e2e


def test_an_officer_sees_the_heads_approval_as_waiting_and_the_approver_fills_it_in(
    page: Page, browser: Browser, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="张警官")
    case_id = open_penalty_case(page, "拖欠工资案（审批）")

    page.goto(f"/#/cases/{case_id}/steps/head_approval")
    expect(page.locator("#approver-kinds [data-kind='record.head_approval']")).to_be_visible()
    expect(page.locator("#approver-kinds")).to_contain_text("审批人")
    expect(page.locator("#submit")).to_have_count(0)

    # The case-opening form is the handler's to fill, without the head's part.
    page.goto(f"/#/cases/{case_id}/steps/case_opening_approval")
    expect(page.locator("#f-p\\.handler_opinion")).to_be_visible()
    expect(page.locator("#submit")).to_be_visible()
    for field in ("head_name", "head_opinion", "approved"):
        expect(page.locator(f"#f-p\\.{field}")).to_have_count(0)

    phone = browser.new_context(**context_options(server))
    try:
        head = phone.new_page()
        add_authenticator(head)
        register_officer(head, server, role="approver", name="周局长")
        head.goto(f"/#/cases/{case_id}/steps/head_approval")
        expect(head.locator("#f-p\\.head_name")).to_be_visible()
        expect(head.locator("#submit")).to_be_visible()
        expect(head.locator("#approver-kinds")).to_have_count(0)
    finally:
        phone.close()
