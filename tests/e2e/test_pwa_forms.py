"""Record forms an officer can finish alone: choices are ticked, mistakes are caught at the field before
anything is queued, and what the server still refuses says why in Chinese and is corrected, not stuck."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    Server,
    add_authenticator,
    outbox_items,
    register_officer,
    wait_all_sent,
)

pytestmark = pytest.mark.e2e
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
PHONE = {"width": 390, "height": 844}


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"forms-{name}.png"), full_page=True)


def open_case(page: Page, title: str, party: str = "刘某") -> str:
    page.goto("/#/cases/new")
    page.wait_for_selector("#open-case")
    page.fill("#f-p\\.title", title)
    page.select_option("#f-p\\.enforcement_kind", "penalty")
    page.fill("#f-p\\.parties-0\\.name", party)
    page.click("#open-case")
    page.wait_for_function("/#\\/cases\\/(?!new)[^/?]+$/.test(location.hash)")
    return page.evaluate("location.hash.split('/')[2]")


def test_an_officer_ticks_the_rights_told_and_mistakes_are_shown_at_their_fields(
    page: Page, server: Server
) -> None:
    page.set_viewport_size(PHONE)
    add_authenticator(page)
    register_officer(page, server, name="孙执法")

    # The new-case form checks a party's numbers before anything is kept on the device.
    page.goto("/#/cases/new")
    page.wait_for_selector("#open-case")
    page.fill("#f-p\\.title", "某超市拖欠工资案")
    page.select_option("#f-p\\.enforcement_kind", "penalty")
    page.fill("#f-p\\.parties-0\\.id_number", "110105194912310021")
    page.fill("#f-p\\.parties-0\\.phone", "12345")
    assert page.get_attribute("#f-p\\.parties-0\\.phone", "inputmode") == "tel"
    page.click("#open-case")
    name_error = page.locator("[data-path='p.parties-0.name'] .field-error")
    expect(name_error).to_have_text("必须填写")
    expect(page.locator("[data-path='p.parties-0.id_number'] .field-error")).to_contain_text(
        "校验位"
    )
    expect(page.locator("[data-path='p.parties-0.phone'] .field-error")).to_contain_text("电话号码")
    expect(page.locator(".form-errors")).to_contain_text("当事人第1项 · 姓名或名称")
    # Focus is on the first field to fix.
    assert page.evaluate("document.activeElement.id") == "f-p.parties-0.name"
    shot(page, "new-case-errors")
    assert [i for i in outbox_items(page) if i["type"] == "case"] == []

    page.fill("#f-p\\.parties-0\\.name", "张某")
    expect(name_error).to_have_count(0)
    page.fill("#f-p\\.parties-0\\.id_number", "11010519491231002X")
    page.fill("#f-p\\.parties-0\\.phone", "13812345678")
    page.click("#open-case")
    page.wait_for_function("/#\\/cases\\/(?!new)[^/?]+$/.test(location.hash)")
    case_id = page.evaluate("location.hash.split('/')[2]")
    wait_all_sent(page)

    # 告知的权利 is a fixed list in the schema: ticks, never "one per line" text.
    page.goto(f"/#/cases/{case_id}/steps/rights_notice?kind=record.rights_notice")
    rights = page.locator("fieldset.choices[data-path='p.rights']")
    expect(rights).to_be_visible()
    expect(rights.locator("label")).to_have_text(["陈述", "申辩", "申请回避", "听证"])
    expect(page.locator("textarea[placeholder='每行一项']")).to_have_count(0)
    page.fill("#f-p\\.deadline_days", "-1")
    page.click("#submit")
    expect(page.locator("[data-path='p.rights'] .field-error")).to_have_text("必须填写")
    expect(page.locator("[data-path='p.how_told'] .field-error")).to_have_text("必须填写")
    expect(page.locator("[data-path='p.deadline_days'] .field-error")).to_have_text("不能小于 0")
    assert page.evaluate("document.activeElement.getAttribute('aria-invalid')") == "true"
    shot(page, "rights-notice-errors")
    queued = [i for i in outbox_items(page) if i["body"].get("kind") == "record.rights_notice"]
    assert all(i["state"] == "draft" for i in queued)

    rights.get_by_text("陈述").click()
    rights.get_by_text("申辩").click()
    page.select_option("#f-p\\.how_told", "in_person")
    page.fill("#f-p\\.deadline_days", "3")
    page.click("#submit")
    sent = wait_all_sent(page)
    record = next(i for i in sent if i["body"].get("kind") == "record.rights_notice")
    timeline = page.evaluate(
        "c => fetch(`/api/cases/${c}/timeline?limit=1000`).then(r => r.json())", case_id
    )["entries"]
    stored = next(e for e in timeline if e["hash"] == record["result"]["hash"])
    assert stored["payload"]["rights"] == ["statement", "defence"]


def test_a_refused_case_says_why_in_chinese_is_corrected_and_is_sent_once(
    page: Page, server: Server
) -> None:
    page.set_viewport_size(PHONE)
    add_authenticator(page)
    register_officer(page, server, name="钱执法")
    # A case queued by an earlier version of the app, before forms were checked on the device:
    # its party has an empty name, which the server refuses.
    case_id = page.evaluate(
        """async () => {
          const outbox = await import('/js/outbox.js');
          const db = await import('/js/db.js');
          const stamps = await import('/js/stamps.js');
          const caseId = crypto.randomUUID();
          const body = { case_id: caseId, title: '某饭店欠薪案', enforcement_kind: 'penalty',
            procedure: 'general', start_path: 'ex_officio', parties: [{ name: '', kind: 'person' }],
            major: false, officers: [], claimed: stamps.stamp(), device: stamps.device() };
          await db.put('cases', { case_id: caseId, title: body.title, stage: 'start', status: 'open',
            enforcement_kind: 'penalty', procedure: 'general', start_path: 'ex_officio',
            parties: body.parties, local: true, compliance: [], next_steps: [] });
          await outbox.enqueue({ type: 'case', case_id: caseId, label: '新建案件: 某饭店欠薪案', body });
          return caseId;
        }"""
    )
    page.goto("/#/outbox")
    refused = page.locator(".outbox-item[data-state=rejected][data-type=case]")
    expect(refused).to_contain_text("「当事人第1项 · 姓名或名称」不能为空", timeout=30_000)
    expect(refused).not_to_contain_text("schema")
    page.goto("/#/")
    card = page.locator(f".case-card[data-case-id='{case_id}']")
    expect(card.locator(".refused-badge")).to_have_text("服务器退回")
    card.click()
    page.locator(".refused-case [data-action=fix]").click()
    page.wait_for_selector("#correcting")
    expect(page.locator("#f-p\\.title")).to_have_value("某饭店欠薪案")
    shot(page, "refused-case-correcting")
    page.fill("#f-p\\.parties-0\\.name", "某饭店")
    page.click("#open-case")
    page.wait_for_function(f"location.hash === '#/cases/{case_id}'")
    wait_all_sent(page)
    page.goto("/#/")
    expect(page.locator(".case-card", has_text="某饭店欠薪案")).to_have_count(1)
    expect(card).not_to_contain_text("未同步")
    listed = page.evaluate("fetch('/api/cases').then(r => r.json())")
    cases = listed if isinstance(listed, list) else listed.get("cases", [])
    assert [c["case_id"] for c in cases if c["title"] == "某饭店欠薪案"] == [case_id]
    assert [i["state"] for i in outbox_items(page) if i["case_id"] == case_id] == ["sent"]


def test_a_refused_record_is_discarded_and_leaves_nothing_waiting(
    page: Page, server: Server
) -> None:
    page.set_viewport_size(PHONE)
    add_authenticator(page)
    register_officer(page, server, name="周执法")
    case_id = open_case(page, "某工地欠薪案")
    wait_all_sent(page)
    # An item the server refuses for what it is (a record kind this agency's rules do not take).
    page.evaluate(
        """async (c) => {
          const outbox = await import('/js/outbox.js');
          await outbox.enqueue({ type: 'entry', case_id: c, label: '旧版本记录',
            body: { kind: 'record.no_such_kind', payload: {}, blobs: [], signatures: [] } });
        }""",
        case_id,
    )
    page.goto(f"/#/cases/{case_id}")
    item = page.locator("#on-device .outbox-item[data-state=rejected]")
    expect(item).to_be_visible(timeout=30_000)
    expect(item.locator(".refusal-reason")).not_to_contain_text("record.no_such_kind")
    item.locator("[data-action=discard]").click()
    expect(item.locator("[data-action=discard]")).to_contain_text("确定放弃")
    item.locator("[data-action=discard]").click()
    expect(page.locator("#on-device .outbox-item[data-state=rejected]")).to_have_count(0)
    assert all(i["state"] == "sent" for i in outbox_items(page))
