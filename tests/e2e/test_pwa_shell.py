"""The officer app as an installable PWA: manifest, service worker, offline start, zh-CN and English."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import ROOT, wait_ready

PWA = ROOT / "pwa"


def wait_controlled(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)


def test_app_is_installable_with_manifest_icons_and_a_controlling_service_worker(
    page: Page,
) -> None:
    page.goto("/")
    wait_ready(page)
    manifest_url = page.eval_on_selector("link[rel=manifest]", "l => l.href")
    manifest = page.evaluate("url => fetch(url).then(r => r.json())", manifest_url)
    assert manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    assert manifest["start_url"].startswith("/")
    purposes = {i.get("purpose", "any") for i in manifest["icons"]}
    assert {"any", "maskable"} <= purposes
    sizes = {i["sizes"] for i in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        status = page.evaluate("u => fetch(u).then(r => r.status)", icon["src"])
        assert status == 200, icon
    wait_controlled(page)
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope.endswith("/")
    # Chromium's own installability check (manifest + icons + service worker with fetch handler).
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A fresh Playwright context counts as incognito, where Chromium never offers installation.
    errors = [e for e in errors if e["errorId"] != "in-incognito"]
    assert errors == [], errors


def served_manifest(page: Page) -> tuple[str, list[str]]:
    source = page.evaluate("fetch('/sw.js', {cache: 'no-store'}).then(r => r.text())")
    version = re.search(r'^const VERSION = "([^"]+)";', source, re.M).group(1)
    manifest = json.loads(re.search(r"^const MANIFEST = (.*);$", source, re.M).group(1))
    return version, manifest["files"]


def test_every_app_file_is_precached_under_a_name_that_never_changes_meaning(page: Page) -> None:
    page.goto("/")
    wait_ready(page)
    version, files = served_manifest(page)
    # The officer app's own files (other pages such as the party page live in their own folders).
    app = [PWA / "manifest.webmanifest"]
    for folder in ("js", "css", "icons"):
        app += [p for p in (PWA / folder).rglob("*") if p.is_file()]
    plain = {"/" + p.relative_to(PWA).as_posix() for p in app}
    expected = {f"/v/{version}{u}" if u.startswith(("/js/", "/css/")) else u for u in plain}
    assert expected - set(files) == set(), "the server's list misses app files"
    assert len(files) == len(set(files)), "Cache.addAll refuses duplicates"
    assert "/" in files and "/shared/strings/ui.zh-CN.json" in files
    code = f"/v/{version}/js/main.js"
    head = page.evaluate(
        "u => fetch(u, {cache: 'no-store'}).then(r => [r.status, r.headers.get('cache-control')])",
        code,
    )
    assert head == [200, "public, max-age=31536000, immutable"]
    # The page the app runs is this version's, and it preloads the first visit's modules: boot,
    # what boot imports (found in the sources, however deep) and the sign-in screen.
    assert page.evaluate("[...document.scripts].map(s => new URL(s.src).pathname)") == [code]
    preloaded = page.evaluate(
        "[...document.querySelectorAll('link[rel=modulepreload]')].map(l => new URL(l.href).pathname)"
    )
    first_visit = {"main.js", "session.js", "api.js", "db.js", "screens/signin.js", "passkeys.js"}
    assert {f"/v/{version}/js/{m}" for m in first_visit} <= set(preloaded)


def test_a_plain_module_url_shares_the_running_apps_module(page: Page) -> None:
    page.goto("/")
    wait_ready(page)
    # An import of /js/outbox.js (a test, a console) gets the running module, not a second copy.
    same = page.evaluate(
        """async () => {
          const v = [...document.scripts][0].src.replace(/main\\.js$/, 'outbox.js');
          const [a, b] = await Promise.all([import('/js/outbox.js'), import(v)]);
          return a.events === b.events;
        }"""
    )
    assert same is True


def test_app_opens_offline_after_one_visit(context: BrowserContext, page: Page) -> None:
    page.goto("/")
    wait_ready(page)
    wait_controlled(page)
    context.set_offline(True)
    try:
        page.reload()
        wait_ready(page)
        expect(page.locator(".statusbar")).to_contain_text("离线")
        expect(page.locator("main")).to_be_visible()
    finally:
        context.set_offline(False)


def test_chinese_by_default_and_english_on_request(page: Page) -> None:
    page.goto("/")
    wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect(page.locator("nav.tabs")).to_contain_text("我的案件")
    with page.expect_navigation():  # the app reloads in the new language
        page.locator("button[data-lang=en]").click()
    wait_ready(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("nav.tabs")).to_contain_text("My cases")
    with page.expect_navigation():  # the app reloads in the new language
        page.locator("button[data-lang='zh-CN']").click()
    wait_ready(page)
    expect(page.locator("nav.tabs")).to_contain_text("我的案件")


def test_strings_exist_in_both_languages() -> None:
    shared = ROOT / "shared" / "strings"
    zh = json.loads((shared / "ui.zh-CN.json").read_text())
    en = json.loads((shared / "ui.en.json").read_text())
    assert zh.keys() == en.keys()
    used = set()
    for js in Path(PWA / "js").rglob("*.js"):
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_.]+|[a-z]+)"', js.read_text()))
    assert used - zh.keys() == set()
