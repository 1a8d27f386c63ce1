"""A party served by link on their phone: opens the document, confirms with a passkey, keeps a receipt
that verifies offline, answers before the deadline and is refused after it.

The officer's side is done in the officer app as on site: a case, a generated document, the party's
consent signed on the 送达 screen, and the link made there (the already-late link through the same
officer API, since the screen offers only deadlines in the future).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, add_authenticator, context_options, register_officer
from tests.e2e.service_flow import (
    generate_document,
    make_link,
    open_penalty_case,
    open_service_screen,
    record_consent_with_drawn_signature,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served(browser: Browser, server: Server) -> dict:
    context = browser.new_context(**context_options(server))
    try:
        officer = context.new_page()
        add_authenticator(officer)
        register_officer(officer, server, name="赵警官")
        case_id = open_penalty_case(officer, "拖欠工资案")
        document = generate_document(officer, case_id)
        open_service_screen(officer, case_id)
        record_consent_with_drawn_signature(officer)
        url = make_link(officer, document, statement_days=3)
        late = officer.evaluate(
            """async ([c, doc, deadline]) => {
              const api = await import('/js/api.js');
              return api.json(`/api/cases/${c}/service/links`, { method: 'POST', body: {
                client_id: crypto.randomUUID(), document_entry: doc, statement_deadline: deadline } });
            }""",
            [case_id, document, (datetime.now(UTC) - timedelta(minutes=5)).isoformat()],
        )
        return {
            "case_id": case_id,
            "open": url.split("#", 1)[1],
            "late": late["token"],
            "pdf_sha256": late["link"]["document_sha256"],
        }
    finally:
        context.close()


def test_party_opens_confirms_with_a_passkey_and_keeps_a_receipt_that_verifies_offline(
    page: Page, server: Server, served: dict, tmp_path: Path
) -> None:
    add_authenticator(page)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"/party/#{served['open']}")
    expect(page.locator("#doc")).to_be_visible(timeout=30_000)
    expect(page.locator("#agency")).to_have_text("衡阳市蒸湘区人力资源和社会保障局")
    expect(page.locator("#recipient")).to_have_text("张*丰")
    expect(page.locator("#doc-hash")).to_have_text(served["pdf_sha256"])
    shown = page.evaluate(
        """async (url) => {
            const digest = await crypto.subtle.digest("SHA-256", await (await fetch(url)).arrayBuffer());
            return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
        }""",
        page.locator("#pdf").get_attribute("data"),
    )
    assert shown == served["pdf_sha256"]
    assert page.viewport_size["width"] <= 420
    # Nothing but the served document: no phone number, no case title.
    body = page.content()
    assert "13812345678" not in body and "拖欠工资案" not in body

    page.locator("#passkey").click()
    expect(page.locator("#receipt")).to_be_visible(timeout=30_000)
    with page.expect_download() as info:
        page.locator("#receipt-download").click()
    receipt = tmp_path / "receipt.json"
    info.value.save_as(receipt)
    kept = json.loads(receipt.read_text())
    confirmed = [json.loads(e["body"]) for e in kept["entries"]]
    [confirmation] = [b for b in confirmed if b["kind"] == "party.confirmed"]
    assert confirmation["payload"]["method"] == "passkey"
    assert confirmation["payload"]["credential"]["user_verified"] is True
    assert any(b["kind"] == "service.opened" and b["payload"]["first"] for b in confirmed)

    pdf = tmp_path / "document.pdf"
    pdf.write_bytes(
        page.request.get("/api/party/document", headers={"x-party-token": served["open"]}).body()
    )
    # The secret link never appeared in a URL the server (or a proxy's log) saw.
    assert requested and not any(served["open"] in url for url in requested)
    # The party checks it against the key the agency publishes, not the one inside the receipt.
    vkey = tmp_path / "agency.vkey"
    vkey.write_text(page.request.get("/api/log/checkpoint").json()["vkey"] + "\n")
    check = server.cli(
        "verify", "--receipt", str(receipt), "--document", str(pdf), "--vkey", str(vkey),
        check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("OK receipt")

    # The statement, before the deadline, through the same page.
    page.locator("textarea[name=text]").fill("我方已足额支付工资，请求不予处罚。")
    page.locator("select[name=type]").select_option("defence")
    page.locator("#statement-form button[type=submit]").click()
    expect(page.locator("#statement-result")).to_have_text("已提交，已记录在案。", timeout=30_000)
    expect(page.locator("#statements li")).to_have_count(1)


def test_party_is_refused_a_statement_after_the_deadline(
    page: Page, server: Server, served: dict
) -> None:
    page.goto(f"/party/#{served['late']}")
    expect(page.locator("#doc")).to_be_visible(timeout=30_000)
    expect(page.locator("#statement-deadline")).to_have_text("陈述申辩期限已届满，本链接不再接收。")
    expect(page.locator("#statement-form")).to_be_hidden()
    late = page.request.post(
        "/api/party/statements",
        headers={"x-party-token": served["late"]},
        multipart={"type": "statement", "text": "迟交的陈述"},
    )
    assert late.status == 403
    assert late.json()["code"] == "deadline_passed"
    page.locator("#lang").click()
    expect(page.locator("#statement-deadline")).to_have_text(
        "The deadline has passed; statements are no longer accepted here."
    )


def test_a_wrong_token_shows_the_same_refusal_as_any_other(page: Page, served: dict) -> None:
    page.goto(f"/party/#{'A' * 43}")
    expect(page.locator("#status")).to_have_text("链接无效或已失效。", timeout=30_000)
    expect(page.locator("#doc")).to_be_hidden()


def test_opening_another_link_in_the_same_tab_shows_that_link_not_the_last_one(
    page: Page, served: dict
) -> None:
    page.goto(f"/party/#{served['open']}")
    expect(page.locator("#doc")).to_be_visible(timeout=30_000)
    page.evaluate("location.hash = 'garbage-that-opens-nothing-at-all'")
    expect(page.locator("#status")).to_have_text("链接无效或已失效。", timeout=30_000)
    expect(page.locator("#doc")).to_be_hidden()
