"""The officer app online: a record co-signed with a passkey, and sign-out refused while anything is unsent."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    Server,
    add_authenticator,
    register_officer,
    wait_all_sent,
)

pytestmark = pytest.mark.e2e


def open_case(page: Page, title: str) -> str:
    page.goto("/#/")
    page.click("#new-case")
    page.fill("#f-p\\.title", title)
    page.select_option("#f-p\\.enforcement_kind", "inspection")
    page.fill("#f-p\\.parties-0\\.name", "某物流有限公司")
    page.select_option("#f-p\\.parties-0\\.kind", "organisation")
    page.click("#open-case")
    # The case screen renders once the new case is queued and its pack read: slower on a busy runner.
    page.wait_for_selector("[data-step=onsite_inspection]", timeout=60_000)
    return page.url.split("#/cases/")[1]


def test_officer_records_a_step_online_and_co_signs_it_with_a_passkey(
    page: Page, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="周警官")
    case_id = open_case(page, "物流园区日常检查")
    expect(page.locator("[data-step=onsite_inspection]")).to_contain_text("待办")
    page.click("[data-step=onsite_inspection]")
    page.wait_for_selector("#submit, .screen-error")
    page.fill("#f-p\\.target", "某物流有限公司")
    page.fill("#f-p\\.findings", "消防通道畅通，未发现问题")
    page.click("#submit")
    sent = wait_all_sent(page)
    record = next(i for i in sent if i["body"].get("kind") == "record.onsite_inspection")
    # The phone keeps the log's signed promise with the sent item: its proof the entry was taken in.
    assert record["result"]["promise"].startswith("casetrail-promise/1\n")
    assert record["result"]["hash"] in record["result"]["promise"]
    expect(page.locator("#cosign")).to_be_visible()
    page.click("#cosign")
    expect(page.locator(".cosigned")).to_be_visible(timeout=15_000)
    timeline = page.evaluate(
        "c => fetch(`/api/cases/${c}/timeline?limit=1000`).then(r => r.json())", case_id
    )["entries"]
    signed = [e for e in timeline if e["payload"].get("meaning") == "co_sign"]
    assert len(signed) == 1
    assert record["result"]["hash"] in signed[0]["payload"].values()
    # Home, from the server: the case with what the compliance engine says it needs next.
    page.goto("/#/")
    card = page.locator(f".case-card[data-case-id='{case_id}']")
    expect(card).to_contain_text("物流园区日常检查")


def test_sign_out_is_refused_while_anything_is_unsent(
    context: BrowserContext, page: Page, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="吴警官")
    context.set_offline(True)
    open_case(page, "夜间巡查")
    page.goto("/#/settings")
    page.click("#signout")
    expect(page.locator(".toast.error")).to_contain_text("未上传")
    page.wait_for_function("location.hash === '#/outbox'")
    expect(page.locator(".outbox-item[data-state=queued]")).to_have_count(1)
    context.set_offline(False)
    wait_all_sent(page)
    page.goto("/#/settings")
    page.click("#signout")
    page.wait_for_function("location.hash.startsWith('#/signin')")
    assert page.evaluate("fetch('/api/me').then(r => r.status)") == 401
