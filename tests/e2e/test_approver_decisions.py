"""An approver in a real browser refuses one proposal with a reason and returns another for
correction, from the approvals tab; both leave the queue and the ledger says why (issue 15 item 3)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, context_options
from tests.e2e.test_supervisor_review import new_staff_page

pytestmark = pytest.mark.e2e

PROPOSALS_JS = """
async () => {
  const csrf = decodeURIComponent((document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "");
  const call = async (path, body) => {
    const res = await fetch(path, {method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "x-csrftoken": csrf}, body: JSON.stringify(body)});
    if (!res.ok) throw new Error(path + " " + res.status + " " + await res.text());
    return res.json();
  };
  const opened = await call("/api/cases", {client_id: crypto.randomUUID(), title: "某公司拖欠工资案",
    enforcement_kind: "penalty", procedure: "general", start_path: "ex_officio", parties: [], officers: []});
  const proposal = async (proposal) => (await call(`/api/cases/${opened.case_id}/entries`, {
    kind: "record.handler_proposal", client_id: crypto.randomUUID(),
    payload: {facts: "拖欠工资三个月", legal_basis: "《劳动保障监察条例》第二十六条", proposal, drafter: "承办人"}})).hash;
  return {caseId: opened.case_id, refuse: await proposal("罚款五万元"), back: await proposal("责令支付")};
}
"""


def test_an_approver_refuses_with_a_reason_and_returns_for_correction(browser, server: Server):
    officer_context = browser.new_context(**context_options(server))
    approver_context = browser.new_context(
        **{**context_options(server), "viewport": {"width": 1400, "height": 900}}
    )
    try:
        officer = new_staff_page(officer_context, server, "officer")
        made = officer.evaluate(PROPOSALS_JS)
        approver = new_staff_page(approver_context, server, "approver")
        approver.goto(f"{server.url}/#/review/approvals")
        refused = approver.locator(f"article.approval[data-entry='{made['refuse']}']")
        expect(refused).to_be_visible(timeout=30_000)
        expect(refused.locator("button[data-decision='refuse']")).to_have_text("不予批准")

        # No reason: nothing is signed, the reason box asks for one.
        refused.locator("button[data-decision='refuse']").click()
        expect(approver.locator(".toast").last).to_contain_text("理由")
        refused.locator("textarea.reason").fill("处罚依据引用错误")
        refused.locator("button[data-decision='refuse']").click()
        expect(refused.locator(".state .badge.bad")).to_have_text("不予批准", timeout=30_000)

        back = approver.locator(f"article.approval[data-entry='{made['back']}']")
        back.locator("textarea.reason").fill("请补充工资台账")
        back.locator("button[data-decision='return']").click()
        expect(back.locator(".state .badge.warn")).to_have_text("已退回补正", timeout=30_000)

        signed = approver.evaluate(
            """async (id) => (await (await fetch(`/api/cases/${id}/timeline?limit=1000`)).json())
                 .entries.filter((e) => e.kind === "signature.passkey")
                 .map((e) => [e.payload.signs, e.payload.meaning, e.payload.comment])""",
            made["caseId"],
        )
        assert sorted(signed) == sorted(
            [
                [made["refuse"], "refuse", "处罚依据引用错误"],
                [made["back"], "return", "请补充工资台账"],
            ]
        )
        waiting = approver.evaluate(
            "async () => (await (await fetch('/api/review/approvals')).json()).map((i) => i.entry_hash)"
        )
        assert made["refuse"] not in waiting and made["back"] not in waiting
    finally:
        officer_context.close()
        approver_context.close()
