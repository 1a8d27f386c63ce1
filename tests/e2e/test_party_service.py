"""A party served by link on their phone: opens the document, confirms with a passkey, keeps a receipt
that verifies offline, answers before the deadline and is refused after it.

The officer's side (case, document, consent, links) is made with the service domain's own functions
in a subprocess against the server's data directory, as the officer API would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, Server, add_authenticator

pytestmark = pytest.mark.e2e

SEED = r"""
import asyncio, json, os, sys, uuid
from datetime import UTC, datetime, timedelta
from fpdf import FPDF
from backend.ledger.entry import Draft
from backend.runtime import open_runtime
from backend.service import links
from backend.settings import Settings

async def main():
    settings = Settings.from_env()
    async with open_runtime(settings) as rt:
        ledger, blobs = rt.ledger, rt.blobs
        case_id = str(uuid.uuid4())
        add = lambda kind, payload, blobs=(): ledger.append(
            Draft(case_id, kind, f"e2e-{uuid.uuid4()}", payload, actor="officer-e2e", blobs=blobs))
        opened = await add("case.opened", {
            "title": "拖欠工资案", "agency_id": "zhengxiang-hrss", "enforcement_kind": "penalty",
            "procedure": "general", "start_path": "ex_officio",
            "parties": [{"name": "张三丰", "kind": "person", "phone": "13812345678"}]})
        pdf = FPDF(); pdf.add_page(); pdf.set_font("helvetica", size=16)
        pdf.cell(0, 10, "Administrative penalty decision No. 1"); data = bytes(pdf.output())
        async with blobs.writer() as w:
            await w.write(data)
        doc = await add("document.generated", {"document_kind": "decision_letter", "number": "No. 1",
            "renders": opened.hash, "title": "行政处罚决定书", "media_type": "application/pdf"}, (w.sha256,))
        await add("service.consent", {"recipient": "张三丰", "channels": ["link"]})
        now = datetime.now(UTC)
        out = {}
        for name, deadline in (("open", now + timedelta(days=3)), ("late", now - timedelta(minutes=5))):
            made = await links.create_link(ledger, blobs, case_id=case_id, actor="officer-e2e",
                client_id=f"e2e-link-{name}-{case_id}", document_entry=doc.hash,
                public_url=settings.public_url, statement_deadline=deadline)
            out[name] = made.token
        out["case_id"] = case_id
        out["pdf_sha256"] = w.sha256
        print(json.dumps(out), flush=True)
        # The runtime's periodic jobs would keep the process alive; the data is committed.
        os._exit(0)

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def served(server: Server) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SEED],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    check = server.cli("verify", "--receipt", str(receipt), "--document", str(pdf), check=False)
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
