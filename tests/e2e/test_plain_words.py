"""Screens speak to officers, supervisors and parties, not to developers: no hashes, UUIDs, JSON, enum
codes, null/undefined or file names anywhere but inside a "verification details" fold (details.verify)."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import (
    Server,
    add_authenticator,
    context_options,
    register_officer,
    wait_all_sent,
)
from tests.e2e.service_flow import jpeg
from tests.e2e.test_pwa_forms import open_case, shot

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}


def machine_words() -> list[str]:
    """Every enum value of every kind schema, and the media checks' finding codes."""
    words: set[str] = {"no_exif", "edited", "device_mismatch", "no_claims", "consistent"}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list):
                words.update(v for v in node["enum"] if isinstance(v, str))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in (ROOT / "shared" / "schemas" / "kinds").glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return sorted(words)


# Runs in the page: visible text and user-facing attributes outside details.verify, per element.
SCAN = """(words) => {
  const found = [];
  const patterns = [
    ['hash', /(?<![0-9a-f])[0-9a-f]{16,}(?![0-9a-f])/i],
    ['uuid', /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/i],
    ['json', /[{}]/],
    ['null', /(?<![A-Za-z])(null|undefined|NaN)(?![A-Za-z])/],
    ['file name', /[\\w-]+\\.(txt|json|js|py)(?![A-Za-z])/],
    ['code', /(?<![A-Za-z])[a-z]+(?:[._/][a-z]+)+(?![A-Za-z])/],
    ['enum', new RegExp(`(?<![A-Za-z_])(${words.join('|')})(?![A-Za-z_])`)],
  ];
  const check = (text, where) => {
    for (const [what, re] of patterns) {
      const m = text.match(re);
      if (m) found.push(`${what}: ${JSON.stringify(m[0])} in ${JSON.stringify(text.trim().slice(0, 80))} (${where})`);
    }
  };
  const shown = (el) => el.checkVisibility ? el.checkVisibility() : el.offsetParent !== null;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('details.verify, script, style, noscript, svg') || !n.textContent.trim()) continue;
    if (el.tagName !== 'OPTION' && !shown(el)) continue;
    check(n.textContent, el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''));
  }
  for (const el of document.body.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
    if (el.closest('details.verify') || !shown(el)) continue;
    for (const a of ['placeholder', 'aria-label', 'title', 'alt']) if (el.getAttribute(a)) check(el.getAttribute(a), `${el.tagName.toLowerCase()}[${a}]`);
  }
  return found;
}"""


def scan(page: Page, screen: str, words: list[str]) -> list[str]:
    # Late content (names, thumbnails) settles; an upload still sending need not finish first.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=5_000)
    shot(page, f"plain-{screen}")
    return [f"{screen}: {f}" for f in page.evaluate(SCAN, words)]


def test_every_main_screen_speaks_plain_chinese(
    browser: Browser, page: Page, server: Server
) -> None:
    words = machine_words()
    page.set_viewport_size(PHONE)
    add_authenticator(page)
    register_officer(page, server, name="郑执法")
    case_id = open_case(page, "某商场拖欠工资案", party="某商场有限公司")
    wait_all_sent(page)

    # A record with a photo, sent and on the timeline.
    page.goto(f"/#/cases/{case_id}/steps/onsite_inspection")
    page.wait_for_selector("#submit")
    page.fill("#f-p\\.target", "某商场有限公司")
    page.fill("#f-p\\.findings", "工资台账不全")
    page.set_input_files(
        "#native-photo", files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    expect(page.locator("#step-items .outbox-item")).to_have_count(1)
    page.click("#submit")
    wait_all_sent(page)
    expect(page.locator("#cosign")).to_be_visible()

    problems: list[str] = []
    problems += scan(page, "officer-step-sent", words)
    for screen, route, ready in [
        ("officer-home", "/#/", ".case-card"),
        ("officer-case", f"/#/cases/{case_id}", "[data-step]"),
        ("officer-step", f"/#/cases/{case_id}/steps/onsite_inspection", "#submit"),
        ("officer-new-case", "/#/cases/new", "#open-case"),
        ("officer-outbox", "/#/outbox", ".outbox-item"),
        ("officer-settings", "/#/settings", "#signout"),
        ("officer-service", f"/#/cases/{case_id}/service", "h1"),
    ]:
        page.goto(route)
        page.wait_for_selector(ready)
        problems += scan(page, screen, words)

    # The supervisor of the same agency reviewing the case.
    ctx = browser.new_context(**context_options(server))
    try:
        sup = ctx.new_page()
        sup.set_viewport_size(PHONE)
        add_authenticator(sup)
        register_officer(sup, server, role="supervisor", name="冯科长")
        for screen, route, ready in [
            ("supervisor-cases", "/#/review", "main h1"),
            ("supervisor-case", f"/#/review/cases/{case_id}", "article.entry"),
        ]:
            sup.goto(route)
            sup.wait_for_selector(ready)
            problems += scan(sup, screen, words)
    finally:
        ctx.close()

    assert problems == [], "machine text on screen:\n" + "\n".join(problems)
    assert re.search(r"\S", "ok")
