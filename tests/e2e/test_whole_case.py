"""A whole penalty case in the app alone, for two agencies with different rule packs: open it, put a
colleague on it, record the inspection with photos, sound, signatures and a fingerprint, make the
decision letter and have the head approve it, take the party's consent, serve by link (the party
confirms on their own phone), post a public notice and file the dossier. No API call does the work:
the API is read only to check what the screens did. Screenshots go to test-artifacts/screens/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    Server,
    add_authenticator,
    context_options,
    poll_page,
    wait_all_sent,
    wait_ready,
)
from tests.e2e.service_flow import PARTY, jpeg, record_consent_with_drawn_signature
from tests.e2e.test_pwa_offline_inspection import draw_with_pressure

pytestmark = pytest.mark.e2e
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens" / "whole_case"
DECISION = {
    "zhengxiang-hrss": ("衡阳市蒸湘区人力资源和社会保障局", "《劳动保障监察条例》第二十六条"),
    "pingluo-transport": ("平罗县交通运输综合执法大队", "《公路安全保护条例》第六十六条"),
}


def shot(page: Page, agency: str, name: str) -> None:
    (SCREENS / agency).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / agency / f"{name}.png"), full_page=True)


def phone(browser: Browser, server: Server) -> Page:
    """A phone of its own (390×844, zh-CN) with a platform authenticator."""
    ctx = browser.new_context(
        **{**context_options(server), "viewport": {"width": 390, "height": 844}}
    )
    page = ctx.new_page()
    add_authenticator(page)
    return page


def register(page: Page, server: Server, agency: str, role: str, name: str, cert: str = "") -> str:
    """An admin's invitation (with unit and 执法证号) opened on the phone, a passkey registered;
    returns the staff id (read from /api/me)."""
    args = ["invite", "--agency", agency, "--role", role, "--name", name, "--unit", "执法一队"]
    out = server.cli(*args, *(["--cert", cert] if cert else [])).stdout
    link = re.search(r"https?://\S+", out)
    assert link, out
    page.goto(link.group(0))
    wait_ready(page)
    page.locator("#register").click()
    page.wait_for_function("location.hash === '#/' || location.hash === ''", timeout=30_000)
    wait_ready(page)
    return page.evaluate("fetch('/api/me').then(r => r.json())")["staff_id"]


def recording_has_chunks(page: Page, at_least: int) -> None:
    """Wait until the recorder has written `at_least` one-second chunks to the device."""
    written = poll_page(
        page,
        """(n) => new Promise((r) => { const q = indexedDB.open('casetrail'); q.onsuccess = () => {
            const c = q.result.transaction('chunks').objectStore('chunks').count();
            c.onsuccess = () => r(c.result >= n); }; })""",
        at_least,
    )
    assert written, f"the recorder wrote fewer than {at_least} chunks"


def officer_signs(page: Page, name: str) -> None:
    page.select_option("#sig-role", "officer")
    page.fill("#sig-name", name)
    page.click("#method-drawn")
    draw_with_pressure(page, "#sig-pad", [[(30 + 12 * i, 60 + (i % 5) * 8) for i in range(14)]])
    page.click("#sig-save")
    expect(page.locator(".signature[data-role=officer]", has_text=name)).to_have_count(1)


def party_presses_fingerprint(page: Page) -> None:
    page.select_option("#sig-role", "party")
    page.fill("#sig-name", PARTY)
    page.click("#method-fingerprint")
    page.set_input_files(
        "#fp-photo", {"name": "fp.jpg", "mimeType": "image/jpeg", "buffer": jpeg("fp")}
    )
    hold = page.locator("#fp-hold")
    hold.scroll_into_view_if_needed()
    hold.hover()
    page.mouse.down()
    # The confirmation needs a deliberate press: keep holding until the app takes it.
    expect(page.locator(".signature[data-method=fingerprint]")).to_have_count(1, timeout=10_000)
    page.mouse.up()


@pytest.mark.parametrize("agency", ["zhengxiang-hrss", "pingluo-transport"])
def test_a_whole_penalty_case_from_opening_to_archive_in_the_app(
    browser: Browser, server: Server, agency: str
) -> None:
    agency_name, basis = DECISION[agency]
    officer = phone(browser, server)
    register(officer, server, agency, "officer", "陈承办", cert="43040101")
    colleague = phone(browser, server)
    colleague_id = register(colleague, server, agency, "officer", "林协办", cert="43040102")
    head = phone(browser, server)
    register(head, server, agency, "approver", "韩局长")
    pages = [officer, colleague, head]
    try:
        # -- open the case
        officer.goto("/#/")
        officer.wait_for_function(
            "document.documentElement.dataset.offlineReady === '1'", timeout=30_000
        )
        officer.click("#new-case")
        officer.fill("#f-p\\.title", f"{PARTY}违法案（{agency}）")
        officer.select_option("#f-p\\.enforcement_kind", "penalty")
        officer.fill("#f-p\\.parties-0\\.name", PARTY)
        officer.select_option("#f-p\\.parties-0\\.kind", "person")
        officer.click("#open-case")
        officer.wait_for_selector("[data-step=investigation_record]")
        case_id = officer.url.split("#/cases/")[1]
        wait_all_sent(officer)

        # -- add the colleague from the agency's staff
        officer.click("#case-team")
        expect(officer.locator("#team-picker")).to_contain_text("执法证号 43040102")
        officer.check(f'#team-picker input[data-staff-id="{colleague_id}"]')
        shot(officer, agency, "01_team_pick")
        officer.click("#team-add")
        expect(officer.locator("#team-members")).to_contain_text("林协办", timeout=15_000)

        # -- the inspection: photos, a sound recording, two officers' and the party's signatures
        officer.goto(f"/#/cases/{case_id}/steps/investigation_record?kind=record.onsite_inspection")
        officer.wait_for_selector("#submit")
        officer.fill("#f-p\\.target", PARTY)
        officer.fill("#f-p\\.findings", "现场查见违法事实，当事人在场")
        # The officers present are ticked from the case team: name and 执法证号 come with them.
        officers = officer.locator("#f-p\\.officers")
        expect(officers).to_contain_text("林协办")
        for row in officers.locator(".colleague").all():
            row.locator("input").first.check()
            row.locator(".shown input").check()
        officer.click("#photo-open")
        officer.click("#photo-shoot")
        officer.click("#photo-close")
        officer.click("#av-audio")
        for box in officer.locator(".statement input").all():
            box.check()
        officer.click("#av-start")
        expect(officer.locator("#av-status")).to_contain_text("录制中")
        recording_has_chunks(officer, 2)
        officer.click("#av-end")
        officer_signs(officer, "陈承办")
        officer_signs(officer, "林协办")
        party_presses_fingerprint(officer)
        shot(officer, agency, "02_inspection")
        officer.click("#submit")
        wait_all_sent(officer)

        # The colleague co-signs on their own phone.
        expect(officer.locator("#cosign-ask")).to_be_visible(timeout=30_000)
        officer.click("#cosign-ask")
        colleague.goto("/#/")
        colleague.reload()
        item = colleague.locator("#to-sign .to-sign-item")
        expect(item).to_contain_text(PARTY, timeout=30_000)
        shot(colleague, agency, "03_colleague_to_sign")
        item.locator("button").click()
        expect(item.locator(".badge.ok")).to_be_visible(timeout=15_000)

        # -- the decision, its letter made in the app and approved by the head
        officer.goto(f"/#/cases/{case_id}/steps/decision")
        officer.wait_for_selector("#submit")
        officer.fill("#f-p\\.party", PARTY)
        officer.fill("#f-p\\.legal_basis", basis)
        officer.fill("#f-p\\.outcome", "罚款人民币五千元")
        officer.fill("#f-p\\.remedies", "如不服本决定，可在六十日内申请行政复议")
        officer.fill("#f-p\\.agency_name", agency_name)
        officer.click("#submit")
        wait_all_sent(officer)
        officer.goto(f"/#/cases/{case_id}")
        letter = officer.locator("[data-document=decision_letter]")
        letter.locator(".doc-generate").click()
        expect(letter.locator(".doc-approval")).to_have_attribute(
            "data-decision", "waiting", timeout=30_000
        )
        shot(officer, agency, "04_letter_made")

        head.goto(f"/#/cases/{case_id}")
        head.locator("[data-document=decision_letter] .doc-approve").click()
        expect(head.locator("[data-document=decision_letter] .doc-approval")).to_have_attribute(
            "data-decision", "approved", timeout=30_000
        )
        shot(head, agency, "05_head_approved")

        # -- consent, a link, the party confirms on their own phone
        officer.reload()
        expect(officer.locator("[data-document=decision_letter] .doc-approval")).to_have_attribute(
            "data-decision", "approved", timeout=30_000
        )
        officer.click("#case-service")
        officer.wait_for_selector("#consent-save")
        record_consent_with_drawn_signature(officer)
        officer.select_option("#link-document", index=1)
        expect(officer.locator("#link-document")).to_contain_text("行政处罚决定书")
        officer.click("#link-create")
        expect(officer.locator("#link-qr svg")).to_be_visible(timeout=15_000)
        url = officer.locator("#link-url").get_attribute("href")
        assert url and "/party/#" in url
        shot(officer, agency, "06_service_link")

        party = phone(browser, server)
        pages.append(party)
        party.goto(url.replace(server.url, ""))
        expect(party.locator("#doc")).to_be_visible(timeout=30_000)
        party.locator("#passkey").click()
        expect(party.locator("#receipt")).to_be_visible(timeout=30_000)
        shot(party, agency, "07_party_confirmed")
        expect(officer.locator(".service-link[data-status=confirmed]")).to_have_count(
            1, timeout=20_000
        )

        # -- a public notice of the decision
        officer.select_option("#notice-purpose", "service")
        officer.fill("#notice-title", f"公告送达：{PARTY}")
        officer.fill("#notice-text", f"{PARTY}：本机关依法向你公告送达行政处罚决定书。")
        officer.select_option("#notice-document", index=1)
        officer.click("#notice-publish")
        expect(officer.locator(".notice[data-state=up]")).to_have_count(1, timeout=15_000)
        shot(officer, agency, "08_notice")

        # -- the dossier filed
        officer.goto(f"/#/cases/{case_id}/steps/archive")
        officer.wait_for_selector("#submit")
        officer.fill("#f-p\\.dossier_number", f"{agency}-2026-001")
        officer.fill("#f-p\\.archivist", "陈承办")
        officer.click("#submit")
        wait_all_sent(officer)
        officer.goto(f"/#/cases/{case_id}")
        expect(officer.locator("[data-step=archive]")).to_contain_text("已记录", timeout=15_000)
        shot(officer, agency, "09_archived")

        # What the screens did is on the timeline, signed and verifiable.
        entries = officer.evaluate(
            "c => fetch(`/api/cases/${c}/timeline?limit=1000`).then(r => r.json())", case_id
        )["entries"]
        kinds = [e["kind"] for e in entries]
        for kind in (
            "case.member_added",
            "media.photo",
            "av.segment",
            "media.fingerprint",
            "record.onsite_inspection",
            "signature.requested",
            "record.decision",
            "document.generated",
            "service.consent",
            "party.confirmed",
            "notice.published",
            "record.archive",
        ):
            assert kind in kinds, (kind, kinds)
        # The sound recording landed as media of its AV session (whatever its container says it is).
        recorded = [
            e for e in entries if e["kind"].startswith("media.") and e["payload"].get("av_session")
        ]
        assert recorded, kinds
        [inspection] = [e for e in entries if e["kind"] == "record.onsite_inspection"]
        assert sorted(
            (o["name"], o["certificate_no"], o["shown"]) for o in inspection["payload"]["officers"]
        ) == [("林协办", "43040102", True), ("陈承办", "43040101", True)]
        meanings = {
            (e["payload"].get("meaning"), e["actor"])
            for e in entries
            if e["kind"] == "signature.passkey"
        }
        assert ("co_sign", colleague_id) in meanings
        assert any(m == "approve" for m, _ in meanings)
        verified = server.cli("verify", case_id, check=False)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        for p in pages:
            p.context.close()
