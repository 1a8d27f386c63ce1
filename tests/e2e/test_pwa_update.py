"""A new version of the officer app: offered in Chinese, taken when the officer agrees, then in control."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ROOT, Server, context_options, start_server, wait_ready

pytestmark = pytest.mark.e2e


@pytest.fixture
def shell_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """A server of its own on a copy of pwa/, so the test can ship a new version of the app."""
    pwa = tmp_path / "pwa"
    shutil.copytree(ROOT / "pwa", pwa)
    data = tmp_path / "data"
    data.mkdir()
    srv = start_server(data, {"CASETRAIL_PWA_DIR": str(pwa)})
    yield srv, pwa
    srv.process.terminate()
    try:
        srv.process.wait(10)
    except subprocess.TimeoutExpired:
        srv.process.kill()


def served_version(page: Page) -> str:
    source = page.evaluate("fetch('/sw.js', {cache: 'no-store'}).then(r => r.text())")
    return re.search(r'^const VERSION = "([^"]+)";', source, re.M).group(1)


def running_version(page: Page) -> str | None:
    return page.evaluate("import('/js/update.js').then(u => u.version())")


def test_a_new_version_is_offered_in_chinese_and_taken_when_the_officer_agrees(
    browser: Browser, shell_server: tuple[Server, Path]
) -> None:
    server, pwa = shell_server
    context = browser.new_context(**context_options(server))
    try:
        page = context.new_page()
        page.goto("/")
        wait_ready(page)
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
        old = served_version(page)
        assert running_version(page) == old
        assert old != "dev", "the server stamps the version from the shell's contents"

        # A fix to one screen ships, and nobody touched the service worker's version by hand.
        home = pwa / "js" / "screens" / "home.js"
        home.write_text(home.read_text() + "\n// 首页修复\n")
        new = served_version(page)
        assert new != old
        # Nothing changes under the officer's hands until they agree.
        page.evaluate("import('/js/update.js').then(u => u.checkForUpdate())")
        banner = page.locator("#update-banner")
        expect(banner).to_contain_text("有新版本可用", timeout=30_000)
        assert running_version(page) == old
        with page.expect_navigation():
            banner.get_by_role("button", name="更新").click()
        wait_ready(page)
        page.wait_for_function(
            """v => import('/js/update.js').then(u => u.version()).then(r => r === v)""",
            arg=new,
            timeout=30_000,
        )
        expect(page.locator("#update-banner")).to_have_count(0)
        shells = page.evaluate("caches.keys()")
        assert f"casetrail-shell-{new}" in shells and f"casetrail-shell-{old}" not in shells
        # The fixed screen is what the app now runs from its cache, also offline.
        context.set_offline(True)
        fixed = page.evaluate(f"fetch('/v/{new}/js/screens/home.js').then(r => r.text())")
        assert "首页修复" in fixed
    finally:
        context.close()
