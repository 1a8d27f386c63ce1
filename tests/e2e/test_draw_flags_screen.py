"""Zhengxiang §11 in a real browser: a draw an officer abandoned is on the supervisor's 抽查台帐
screen, in words — who, which case, why — with no hash or id in sight (issue 15 item 6)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, context_options
from tests.e2e.test_supervisor_review import new_staff_page

pytestmark = pytest.mark.e2e

ABANDON_JS = """
async () => {
  const csrf = decodeURIComponent((document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "");
  const call = async (path, body) => {
    const res = await fetch(path, {method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "x-csrftoken": csrf}, body: JSON.stringify(body)});
    if (!res.ok) throw new Error(path + " " + res.status + " " + await res.text());
    return res.json();
  };
  const opened = await call("/api/cases", {client_id: crypto.randomUUID(), title: "甲劳务公司用工检查",
    enforcement_kind: "inspection", procedure: "general", start_path: "random_inspection",
    parties: [], officers: []});
  const seed = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("种子")));
  const hex = [...seed].map((b) => b.toString(16).padStart(2, "0")).join("");
  const made = await call(`/api/cases/${opened.case_id}/random-draw/commit`, {client_id: crypto.randomUUID(),
    method: "随机摇号", plan: "2026年第一季度双随机抽查计划", seed_sha256: hex,
    target_pool: ["甲", "乙"], inspector_pool: ["E1", "E2"], target_count: 1, inspector_count: 1});
  await call(`/api/cases/${opened.case_id}/random-draw/abandon`, {client_id: crypto.randomUUID(),
    commit_entry: made.hash, reason: "抽中单位已注销"});
  return {caseId: opened.case_id, commit: made.hash};
}
"""


def test_zhengxiang_art11_an_abandoned_draw_is_shown_in_words_on_the_spot_check_screen(
    browser, server: Server
):
    officer_context = browser.new_context(**context_options(server))
    supervisor_context = browser.new_context(
        **{**context_options(server), "viewport": {"width": 1400, "height": 900}}
    )
    try:
        officer = new_staff_page(officer_context, server, "officer")
        made = officer.evaluate(ABANDON_JS)
        supervisor = new_staff_page(supervisor_context, server, "supervisor")
        supervisor.goto(f"{server.url}/#/review/spot-checks")
        row = supervisor.locator("#draw-flags tr[data-status='abandoned']")
        expect(row).to_be_visible(timeout=30_000)
        expect(row).to_contain_text("甲劳务公司用工检查")
        expect(row).to_contain_text("2026年第一季度双随机抽查计划")
        expect(row).to_contain_text("已放弃，未公布结果（理由：抽中单位已注销）")
        text = row.inner_text()
        assert made["commit"][:10] not in text and made["caseId"] not in text
        assert not re.search(r"[0-9a-f]{12}", text), text
    finally:
        officer_context.close()
        supervisor_context.close()
