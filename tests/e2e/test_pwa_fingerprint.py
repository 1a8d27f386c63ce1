"""A party confirms a record with an inked fingerprint and a press-and-hold on the officer's phone;
the confirmation names the record's hash, so editing the record afterwards voids it."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, add_authenticator, register_officer, wait_all_sent
from tests.e2e.test_pwa_officer_online import open_case

pytestmark = pytest.mark.e2e


def inked_fingerprint() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 260), (160, 30, 40)).save(out, "JPEG")
    return out.getvalue()


def confirm_with_fingerprint(page: Page, name: str) -> str:
    page.select_option("#sig-role", "party")
    page.fill("#sig-name", name)
    page.click("#method-fingerprint")
    page.set_input_files(
        "#fp-photo", {"name": "fp.jpg", "mimeType": "image/jpeg", "buffer": inked_fingerprint()}
    )
    # The digest being confirmed is in the verification details fold, for whoever wants to check it.
    page.locator("#method-box details.verify > summary").click()
    shown = page.locator("#fp-hash").inner_text()
    hold = page.locator("#fp-hold")
    hold.scroll_into_view_if_needed()
    hold.hover()
    page.mouse.down()
    # The confirmation takes a deliberate 1.5 s press: held until the signature is there.
    expect(page.locator(".signature[data-method=fingerprint]")).to_have_count(1)
    page.mouse.up()
    return shown


def test_an_edit_after_the_fingerprint_voids_it_and_the_kept_one_names_the_final_record(
    page: Page, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server, name="郑警官")
    case_id = open_case(page, "某餐馆消防检查")
    page.click("[data-step=onsite_inspection]")
    page.wait_for_selector("#submit")
    page.fill("#f-p\\.target", "某餐馆")
    page.fill("#f-p\\.findings", "灭火器过期两具")
    confirm_with_fingerprint(page, "钱老板")

    page.fill("#f-p\\.findings", "灭火器过期三具")  # changed after the party pressed
    page.click("#submit")
    expect(page.locator(".toast.error")).to_contain_text("作废")
    expect(page.locator(".signature[data-method=fingerprint]")).to_have_count(0)

    confirmed = confirm_with_fingerprint(page, "钱老板")
    page.click("#submit")
    sent = wait_all_sent(page)
    record = next(i for i in sent if i["body"].get("kind") == "record.onsite_inspection")
    timeline = page.evaluate(
        "c => fetch(`/api/cases/${c}/timeline?limit=1000`).then(r => r.json())", case_id
    )["entries"]
    [entry] = [e for e in timeline if e["hash"] == record["result"]["hash"]]
    assert entry["payload"]["findings"] == "灭火器过期三具"
    [fp] = [s for s in entry["payload"]["signatures"] if s["method"] == "fingerprint"]
    assert fp["document_hash"] == confirmed and fp["hold_ms"] >= 1500
    assert fp["blob"] in entry["blobs"]
