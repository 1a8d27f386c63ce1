"""Two officers co-sign one record on one phone, each with their own passkey, without signing out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, add_authenticator, register_officer, wait_all_sent

pytestmark = pytest.mark.e2e


def me(page: Page) -> dict:
    return page.evaluate("fetch('/api/me').then(r => r.json())")


def test_two_officers_co_sign_a_record_with_their_own_passkeys_on_one_phone(
    page: Page, server: Server
) -> None:
    cdp, authenticator = add_authenticator(page)
    # 李 set up a passkey on this duty phone earlier and handed it over; 周 now works on it.
    register_officer(page, server, name="李警官")
    li = me(page)["staff_id"]
    page.goto("/#/settings")
    page.click("#signout")
    page.wait_for_function("location.hash.startsWith('#/signin')")
    register_officer(page, server, name="周警官")
    zhou = me(page)["staff_id"]
    keys = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len({k["userHandle"] for k in keys}) == 2, "both passkeys live on this one phone"

    page.click("#new-case")
    page.fill("#f-p\\.title", "仓储企业消防检查")
    page.select_option("#f-p\\.enforcement_kind", "inspection")
    page.fill("#f-p\\.parties-0\\.name", "某仓储有限公司")
    page.select_option("#f-p\\.parties-0\\.kind", "organisation")
    page.check(f'#f-officers input[data-staff-id="{li}"]')
    page.click("#open-case")
    page.wait_for_selector("[data-step=onsite_inspection]")
    case_id = page.url.split("#/cases/")[1]
    page.click("[data-step=onsite_inspection]")
    page.fill("#f-p\\.target", "某仓储有限公司")
    page.fill("#f-p\\.findings", "灭火器过期三具，责令当场更换")
    page.click("#submit")
    sent = wait_all_sent(page)
    record = next(i for i in sent if i["body"].get("kind") == "record.onsite_inspection")

    expect(page.locator("#cosign")).to_contain_text("周警官")
    page.click("#cosign")
    expect(page.locator(".cosigned")).to_have_count(1, timeout=15_000)
    # 李 takes the phone, picks their own name and touches the sensor; 周 stays signed in.
    expect(page.locator("#cosigner option")).to_have_text(["李警官"])
    page.select_option("#cosigner", label="李警官")
    page.click("#cosign-other")
    expect(page.locator(".cosigned")).to_have_count(2, timeout=15_000)
    expect(page.locator("#cosign-others")).to_contain_text("暂无其他需签名的执法人员")
    assert me(page)["staff_id"] == zhou

    timeline = page.evaluate(
        "c => fetch(`/api/cases/${c}/timeline?limit=1000`).then(r => r.json())", case_id
    )["entries"]
    co_signed = [e for e in timeline if e["payload"].get("meaning") == "co_sign"]
    assert sorted(e["actor"] for e in co_signed) == sorted([zhou, li])
    assert {e["payload"]["signs"] for e in co_signed} == {record["result"]["hash"]}
    listed = page.evaluate("c => fetch(`/api/cases/${c}/signatures`).then(r => r.json())", case_id)
    assert sorted((s["signer"], s["verified"]) for s in listed) == sorted(
        [(zhou, True), (li, True)]
    )
    verified = server.cli("verify", case_id, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
