"""The officer's home and case screen on a phone: what each case needs next (online and offline),
moving a case on to the next stage, and finding the recorder-file import."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    Server,
    add_authenticator,
    register_officer,
    wait_all_sent,
    wait_ready,
)
from tests.e2e.test_pwa_officer_online import open_case

pytestmark = pytest.mark.e2e


def card(page: Page, case_id: str):
    return page.locator(f".case-card[data-case-id='{case_id}']")


def timeline(page: Page, case_id: str) -> list[dict]:
    return page.evaluate(
        "c => fetch(`/api/cases/${c}/timeline?limit=1000`).then(r => r.json())", case_id
    )["entries"]


def test_home_says_what_each_case_needs_next_online_and_offline(
    context: BrowserContext, page: Page, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="郑警官")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    case_id = open_case(page, "物流园区日常检查")
    wait_all_sent(page)

    # Online: the server's list says what the compliance engine wants next, by the step's name.
    page.goto("/#/")
    expect(card(page, case_id).locator(".next")).to_contain_text("下一步")
    expect(card(page, case_id).locator(".next")).to_contain_text("立案审批表")
    # No case number yet: no empty badge where it would go.
    expect(card(page, case_id).locator(".head .badge")).to_have_count(0)

    # Offline, after a reload: the same, from the device's copy.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector(".case-card")
    expect(card(page, case_id).locator(".next")).to_contain_text("立案审批表")

    # A case opened with no network says what it needs next from the agency's rules on the device.
    offline_id = open_case(page, "夜间突击检查")
    page.goto("/#/")
    expect(card(page, offline_id)).to_contain_text("未同步")
    expect(card(page, offline_id).locator(".next")).to_contain_text("立案审批表")
    context.set_offline(False)
    wait_all_sent(page)


def test_officer_moves_a_case_to_the_next_stage_offline_and_it_reaches_the_timeline(
    context: BrowserContext, page: Page, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="钱警官")
    case_id = open_case(page, "仓库消防检查")
    wait_all_sent(page)
    page.goto(f"/#/cases/{case_id}")
    expect(page.locator(".stages [data-stage=start]")).to_have_class("now")

    context.set_offline(True)
    page.click("#stage-next")
    # The rules' missing records for the stage are a warning, not a wall.
    expect(page.locator(".stage-warnings")).to_contain_text("立案审批表")
    expect(page.locator("#stage-target")).to_have_value("investigation")
    page.click("#stage-ok")
    expect(page.locator(".stages [data-stage=investigation]")).to_have_class("now")
    expect(page.locator(".outbox-item", has_text="阶段变更")).to_have_count(1)
    page.goto("/#/")
    expect(card(page, case_id)).to_contain_text("调查取证")

    context.set_offline(False)
    sent = wait_all_sent(page)
    moved = next(i for i in sent if i["body"].get("kind") == "case.stage")
    on_server = [e for e in timeline(page, case_id) if e["kind"] == "case.stage"]
    assert [e["payload"]["stage"] for e in on_server] == ["investigation"]
    assert on_server[0]["hash"] == moved["result"]["hash"]
    assert on_server[0]["claimed"]["geo"] is not None
    case = page.evaluate("c => fetch(`/api/cases/${c}`).then(r => r.json())", case_id)
    assert case["stage"] == "investigation"
    page.goto(f"/#/cases/{case_id}")
    expect(page.locator(".stages [data-stage=investigation]")).to_have_class("now")
    expect(page.locator("#stage-next")).to_contain_text("审查决定")


def test_officer_finds_the_recorder_import_by_tapping(page: Page, server: Server) -> None:
    add_authenticator(page)
    register_officer(page, server, name="孙警官")
    page.tap("#home-import")
    expect(page.locator("#import-screen")).to_be_visible()
    page.tap("nav.tabs a[href='#/settings']")
    page.tap("#settings-import")
    expect(page.locator("#import-screen")).to_be_visible()


def test_the_notification_switch_label_reads_on_one_line_on_a_phone(
    page: Page, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="冯警官")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/#/settings")
    label = page.locator("label.check:has(#push-toggle) .grow")
    expect(label).to_be_visible()
    # The longest status there is: a phone where the officer once refused notifications.
    page.locator("#push-status").evaluate(
        "el => el.textContent = '通知权限已被拒绝，请在浏览器设置中允许'"
    )
    line = float(label.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 24"))
    assert label.bounding_box()["height"] < 1.5 * line


def test_a_returning_officer_sees_the_cases_at_once_and_the_servers_list_after(
    context: BrowserContext, page: Page, server: Server
) -> None:
    """The start of a shift on a poor network: the home lists the cases this phone already knows
    without waiting for the server; the server's answer then brings in what changed elsewhere."""
    add_authenticator(page)
    register_officer(page, server, name="孙警官")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    known = open_case(page, "农贸市场复查")
    wait_all_sent(page)
    page.goto("/#/")
    expect(card(page, known)).to_be_visible()

    # The server's case list is held back: the home still opens, with the case the phone knows.
    held: list = []
    page.route("**/api/cases?with=next", lambda route: held.append(route))
    # Meanwhile a case was opened for this officer elsewhere (another phone, the desk).
    other = page.evaluate(
        """() => import('/js/api.js').then(api => api.json('/api/cases', {method: 'POST', body: {
             client_id: crypto.randomUUID(), title: '工地夜间检查', enforcement_kind: 'inspection',
             procedure: 'general', start_path: 'ex_officio',
             parties: [{name: '某建筑公司', kind: 'organisation'}], officers: []}}))"""
    )["case_id"]
    with page.expect_request(lambda r: "/api/cases?with=next" in r.url):
        page.reload()
    wait_ready(page)
    expect(card(page, known)).to_be_visible()
    expect(card(page, other)).to_have_count(0)

    # The answer arrives: the other case joins the list without a reload.
    for route in held:
        route.continue_()
    page.unroute("**/api/cases?with=next")
    expect(card(page, other)).to_be_visible()
    expect(card(page, known)).to_be_visible()
