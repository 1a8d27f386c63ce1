"""Hebei §16 in a real browser: an officer ticks the record to copy and says who it is for; the
approver reads what is asked, in words, and approves with a passkey; the officer copies exactly that,
and the copy is on the timeline (issue 15 item 7)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, context_options
from tests.e2e.test_approver_decisions import PROPOSALS_JS
from tests.e2e.test_supervisor_review import new_staff_page

pytestmark = pytest.mark.e2e
WIDE = {"viewport": {"width": 1400, "height": 900}}


def test_hebei_art16_an_officer_asks_to_copy_one_record_for_the_party_and_copies_it(
    browser, server: Server
):
    officer_context = browser.new_context(**{**context_options(server), **WIDE})
    approver_context = browser.new_context(**{**context_options(server), **WIDE})
    try:
        officer = new_staff_page(officer_context, server, "officer")
        made = officer.evaluate(PROPOSALS_JS)
        officer.goto(f"{server.url}/#/review/cases/{made['caseId']}")
        form = officer.locator("#copies form.request-copy")
        expect(form).to_be_visible(timeout=30_000)
        boxes = form.locator("input[name='item']")
        expect(boxes).to_have_count(2)
        # The requester picks records by name and time, never by a hash.
        expect(form.locator(".copy-items")).not_to_contain_text(made["refuse"][:10])
        form.locator(f"input[value='{made['refuse']}']").check()
        form.locator("input[name='recipient']").fill("王某（当事人）")
        form.locator("input[name='purpose']").fill("当事人申请复制")
        form.locator("button[type='submit']").click()
        expect(officer.locator("#copy-waiting")).to_be_visible(timeout=30_000)

        approver = new_staff_page(approver_context, server, "approver")
        approver.goto(f"{server.url}/#/review/approvals")
        row = approver.locator("article.approval[data-kind='export.requested']")
        expect(row).to_be_visible(timeout=30_000)
        expect(row.locator(".asks")).to_contain_text("申请复制：")
        expect(row.locator(".asks")).to_contain_text("交给：王某（当事人）")
        expect(row.locator(".asks")).to_contain_text("用途：当事人申请复制")
        expect(row.locator(".asks")).not_to_contain_text(made["refuse"][:10])
        row.locator("button.primary").click()
        expect(row.locator(".state .badge.ok")).to_be_visible(timeout=30_000)

        officer.reload()
        expect(officer.locator("#copy-approved")).to_contain_text("王某（当事人）", timeout=30_000)
        expect(officer.locator(".copy-approved-items li")).to_have_count(1)
        officer.locator("#make-copy").click()
        expect(officer.locator(".toast").last).to_contain_text("复制已登记")
        copies = officer.evaluate(
            """async (id) => (await (await fetch(`/api/cases/${id}/timeline?limit=1000`)).json())
                 .entries.filter((e) => e.kind === "access.viewed" && e.payload.action === "copy")
                 .map((e) => e.payload.what)""",
            made["caseId"],
        )
        assert copies == [f"record.handler_proposal {made['refuse']}"]
    finally:
        officer_context.close()
        approver_context.close()
