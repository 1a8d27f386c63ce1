"""Habits officers bring from the phone: the current tab shown, larger text (长辈版), 320 px phones,
44 px touch targets, a quiet status strip, and focus never hidden under the fixed bars."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, add_authenticator, register_officer
from tests.e2e.test_pwa_forms import open_case, shot

pytestmark = pytest.mark.e2e

SMALL_TARGETS = """() => [...document.querySelectorAll('main button, main a.button, main select, main input, nav.tabs a, main summary')]
  .filter((el) => el.checkVisibility() && el.type !== 'file')
  // A tick box is tapped through its label, which is the target that must be large enough.
  .map((el) => [el.id || el.textContent.trim().slice(0, 12) || el.tagName,
    (['checkbox', 'radio'].includes(el.type) && (el.closest('label') || document.querySelector(`label[for="${el.id}"]`)) || el).getBoundingClientRect()])
  .filter(([, r]) => r.height < 43.5 || (r.width < 43.5 && r.width > 0))
  .map(([name, r]) => `${name} ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def test_a_small_phone_with_large_text_keeps_every_screen_usable(
    page: Page, server: Server
) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    add_authenticator(page)
    register_officer(page, server, name="陈执法")
    case_id = open_case(page, "某物业公司欠薪案")

    # The status strip is not read out at every GPS or clock change.
    assert page.locator("header.statusbar[role=status], header.statusbar[aria-live]").count() == 0
    page.goto("/#/")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_attribute("href", "#/")
    page.goto("/#/settings")
    expect(page.locator("nav.tabs a[aria-current=page]")).to_have_attribute("href", "#/settings")

    page.locator("[data-text-size=elder]").click()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "21px"
    page.reload()
    page.wait_for_selector("#signout")
    assert page.evaluate("document.documentElement.dataset.textSize") == "elder"

    for route, ready in [
        ("/#/", ".case-card"),
        (f"/#/cases/{case_id}", "[data-step]"),
        (f"/#/cases/{case_id}/steps/onsite_inspection", "#submit"),
        ("/#/settings", "#signout"),
    ]:
        page.goto(route)
        page.wait_for_selector(ready)
        name = route.strip("/#").replace("/", "-") or "home"
        shot(page, f"elder-320-{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, route
        assert page.evaluate(SMALL_TARGETS) == [], route

    # A focused field is scrolled clear of the sticky action bar and the tab bar.
    page.goto(f"/#/cases/{case_id}/steps/onsite_inspection")
    page.wait_for_selector("#submit")
    page.locator("#f-p\\.findings").focus()
    box = page.locator("#f-p\\.findings").bounding_box()
    actions = page.locator(".actions").bounding_box()
    assert box and actions and box["y"] + 20 < actions["y"]
