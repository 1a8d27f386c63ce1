"""A newcomer runs `casetrail demo`, opens the officer's printed link on a phone, registers a passkey
and is that demo officer: the home lists the demo cases the officer holds, and a case opens with its
records. Screenshots go to test-artifacts/screens/demo/."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    ROOT,
    Server,
    add_authenticator,
    context_options,
    start_server,
    wait_ready,
)

pytestmark = pytest.mark.e2e
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens" / "demo"
AGENCY_NAME = "衡阳市蒸湘区人力资源和社会保障局"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """The demo data directory as `casetrail demo` leaves it, served; with what the demo printed."""
    data_dir = tmp_path_factory.mktemp("demo") / "demo-data"
    made = subprocess.run(
        [sys.executable, "-m", "backend.cli", "demo", "--data-dir", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    server = start_server(data_dir)
    yield server, made.stdout
    server.process.terminate()
    server.process.wait(10)


def printed_link(printed: str, agency_name: str, role_zh: str) -> tuple[str, str]:
    """The token of the link printed for `role_zh` under the agency, and the person it names."""
    block = printed.split(f"【{agency_name}】", 1)[1].split("【", 1)[0]
    line = next(li for li in block.splitlines() if li.strip().startswith(role_zh))
    m = re.search(r"(\S+)\s+https?://\S+/#invite=([A-Za-z0-9_-]+)", line)
    assert m, line
    return m.group(2), m.group(1)


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def test_the_printed_officer_link_signs_in_as_the_demo_officer_who_holds_the_demo_cases(
    browser: Browser, demo: tuple[Server, str]
) -> None:
    server, printed = demo
    token, name = printed_link(printed, AGENCY_NAME, "执法人员")
    ctx = browser.new_context(
        **{**context_options(server), "viewport": {"width": 390, "height": 844}}
    )
    try:
        page = ctx.new_page()
        add_authenticator(page)
        page.goto(f"/#invite={token}")
        wait_ready(page)
        # The registration screen names the person the newcomer is about to become.
        expect(page.locator("main")).to_contain_text(name)
        shot(page, "register-as-demo-officer")
        page.locator("#register").click()
        page.wait_for_function("location.hash === '#/' || location.hash === ''", timeout=30_000)

        # Signed in as that officer: the home greets them and lists the demo cases they hold.
        expect(page.locator("main")).to_contain_text(name)
        cards = page.locator(".case-card")
        expect(cards.first).to_be_visible(timeout=30_000)
        assert cards.count() >= 4
        me = page.evaluate("fetch('/api/me').then(r => r.json())")
        assert me["name"] == name and me["roles"] == ["officer"]
        mine = page.evaluate("fetch('/api/cases').then(r => r.json())")
        assert {c["case_id"] for c in mine} == set(
            cards.evaluate_all("cs => cs.map(c => c.dataset.caseId)")
        )
        shot(page, "demo-officer-home")

        # A case with photos and a recording made on the officers' phones opens with them: the
        # server's thumbnails and a player, named in words.
        with_media = page.evaluate(
            """async (ids) => {
              for (const id of ids) {
                const t = await fetch(`/api/cases/${id}/timeline?limit=1000`).then(r => r.json());
                const kinds = new Set(t.entries.map(e => e.kind));
                if (kinds.has('media.photo') && kinds.has('media.audio')) return id;
              }
              return null;
            }""",
            [c["case_id"] for c in mine],
        )
        assert with_media, "a demo case of this officer has photos and a recording"
        page.locator(f".case-card[data-case-id='{with_media}']").click()
        photos = page.locator("#case-media .case-media-item[data-kind='media.photo'] img")
        expect(photos.first).to_have_attribute("alt", re.compile(r"^照片"), timeout=30_000)
        expect(
            page.locator("#case-media .case-media-item[data-kind='media.audio'] audio")
        ).not_to_have_count(0)
        photos.first.scroll_into_view_if_needed()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#case-media img')].some(i => i.complete && i.naturalWidth > 0)",
            timeout=30_000,
        )
        shot(page, "demo-officer-case")

        # The link worked once: opened again it says so in words.
        page.goto(f"/#invite={token}")
        wait_ready(page)
        expect(page.locator("main")).to_contain_text("已被使用")
    finally:
        ctx.close()
