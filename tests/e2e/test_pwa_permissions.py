"""Location, camera and microphone: nothing is asked before sign-in, and the officer is told why first."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import (
    ROOT,
    Server,
    add_authenticator,
    context_options,
    register_officer,
    wait_ready,
)

pytestmark = pytest.mark.e2e
SCREENS = ROOT / "test-artifacts" / "screens"

# Counts every position request the page makes, whatever the browser would answer.
COUNT_GEO = """(() => {
  window.geoCalls = 0;
  const g = navigator.geolocation;
  for (const name of ['watchPosition', 'getCurrentPosition']) {
    const real = g[name].bind(g);
    g[name] = (...args) => { window.geoCalls += 1; return real(...args); };
  }
})();"""


# A phone that was never asked: headless Chromium answers "denied" where a phone would say "prompt".
NEVER_ASKED = """(() => {
  const real = navigator.permissions.query.bind(navigator.permissions);
  navigator.permissions.query = (d) =>
    ['geolocation', 'camera', 'microphone'].includes(d.name) ? Promise.resolve({state: 'prompt'}) : real(d);
})();"""


def open_context(browser: Browser, server: Server, granted: bool):
    options = context_options(server)
    if not granted:
        options["permissions"] = []
    ctx = browser.new_context(**options)
    ctx.add_init_script(COUNT_GEO)
    if not granted:
        ctx.add_init_script(NEVER_ASKED)
    return ctx


def test_no_position_before_sign_in_and_the_officer_is_told_why_before_it_is_asked(
    browser: Browser, server: Server
) -> None:
    ctx = open_context(browser, server, granted=False)
    try:
        page = ctx.new_page()
        page.goto("/")
        wait_ready(page)
        expect(page.locator("#signin")).to_be_visible()
        assert page.evaluate("window.geoCalls") == 0
        expect(page.locator("#perm-location")).to_have_count(0)

        add_authenticator(page)
        register_officer(page, server)
        card = page.locator("#perm-location")
        expect(card).to_contain_text("为什么需要位置", timeout=30_000)
        expect(card).to_contain_text("每一步记录都会附上您所在的地点")
        assert page.evaluate("window.geoCalls") == 0, "told first, asked only on the officer's word"
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "permission-location.png"))

        card.get_by_role("button", name="开启位置").click()
        expect(card).to_have_count(0)
        page.wait_for_function("window.geoCalls > 0")
    finally:
        ctx.close()


def test_a_phone_that_already_allowed_location_locates_after_sign_in_without_asking_again(
    browser: Browser, server: Server
) -> None:
    ctx = open_context(browser, server, granted=True)
    try:
        page = ctx.new_page()
        page.goto("/")
        wait_ready(page)
        assert page.evaluate("window.geoCalls") == 0
        add_authenticator(page)
        register_officer(page, server)
        page.wait_for_function(
            "import('/js/stamps.js').then(s => s.currentFix() !== null)", timeout=30_000
        )
        expect(page.locator("#perm-location")).to_have_count(0)
    finally:
        ctx.close()


def test_the_camera_is_explained_before_the_browser_asks_for_it(
    browser: Browser, server: Server
) -> None:
    ctx = open_context(browser, server, granted=False)
    try:
        page = ctx.new_page()
        page.goto("/")
        wait_ready(page)
        asked = page.evaluate(
            """async () => {
              window.mediaAsks = 0;
              navigator.mediaDevices.getUserMedia = async () => { window.mediaAsks += 1; throw new Error('no'); };
              const cam = await import('/js/capture/camera.js');
              window.opening = cam.openCamera(document.createElement('div'), () => []).catch(() => null);
              await new Promise(r => setTimeout(r, 0));
              return window.mediaAsks;
            }"""
        )
        assert asked == 0
        card = page.locator("#perm-media")
        expect(card).to_contain_text("拍摄现场照片需要使用相机")
        card.get_by_role("button", name="继续").click()
        page.wait_for_function("window.mediaAsks === 1")
    finally:
        ctx.close()
