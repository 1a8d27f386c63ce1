"""The officer's story: a whole on-site inspection recorded with no network, the app reloaded and the
browser closed mid-recording, then back online: every item lands on the timeline exactly once and verifies."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    add_authenticator,
    context_options,
    poll_page,
    register_officer,
    wait_all_sent,
    wait_outbox,
    wait_ready,
)


def exif_jpeg() -> bytes:
    """A photo as a phone camera writes it: EXIF time and GPS in the file."""
    img = Image.new("RGB", (640, 480), (30, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "CaseTrail"  # Make
    exif[0x0110] = "TestPhone"  # Model
    exif.get_ifd(0x8769)[0x9003] = datetime.now().strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (26.0, 53.0, 48.48)
    gps[3], gps[4] = "E", (112.0, 34.0, 18.84)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def open_profile(pw: Playwright, profile: Path, fake: list[str], server: Server) -> BrowserContext:
    """A browser with a profile on disk, so IndexedDB, the service worker and cookies survive a close."""
    return pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *fake],
        **context_options(server),
    )


def draw_with_pressure(page: Page, selector: str, strokes: list[list[tuple[float, float]]]) -> None:
    """Sign on the pad with a finger: CDP touch events carrying a force per point."""
    # Centre the pad so no fixed bar covers it: touches land where the finger is, not on the element.
    page.locator(selector).evaluate("el => el.scrollIntoView({block: 'center'})")
    box = page.locator(selector).bounding_box()
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        for i, (x, y) in enumerate(stroke):
            kind = "touchStart" if i == 0 else "touchMove"
            force = 0.3 + 0.5 * i / max(1, len(stroke) - 1)
            cdp.send(
                "Input.dispatchTouchEvent",
                {
                    "type": kind,
                    "touchPoints": [
                        {"x": box["x"] + x, "y": box["y"] + y, "force": force, "id": 1}
                    ],
                },
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def sign(page: Page, role: str, name: str, page_no: int | None = None) -> None:
    page.select_option("#sig-role", role)
    page.fill("#sig-name", name)
    if page_no is not None:
        page.select_option("#sig-page", str(page_no))
    page.click("#method-drawn")
    draw_with_pressure(
        page,
        "#sig-pad",
        [[(30 + 12 * i, 60 + (i % 5) * 8) for i in range(14)], [(60, 140), (120, 150), (200, 130)]],
    )
    page.click("#sig-save")
    expect(page.locator(f".signature[data-role={role}]").last).to_be_visible()


def av_session(page: Page, media: str) -> None:
    page.click(f"#av-{media}")
    page.fill("#av-officer", "李警官")
    page.fill("#av-cert", "43040001")
    for box in page.locator(".statement input").all():
        box.check()
    page.click("#av-start")
    expect(page.locator("#av-status")).to_contain_text("录制中")


def wait_chunks(page: Page, at_least: int, since_ms: float = 0) -> None:
    """Wait until the running recording has this many one-second chunks safely in IndexedDB
    (with `since_ms`, chunks written after that page time)."""
    enough = """([atLeast, since]) => new Promise(r => { const q = indexedDB.open('casetrail');
        q.onsuccess = () => { const c = q.result.transaction('chunks').objectStore('chunks').getAll();
        c.onsuccess = () => r(c.result.filter(k => k.at > since).length >= atLeast); }; })"""
    if not poll_page(page, enough, [at_least, since_ms], timeout_s=20):
        raise AssertionError("recording chunks are not reaching IndexedDB")


def timeline(page: Page, case_id: str) -> list[dict]:
    entries, after = [], -1
    while True:
        res = page.evaluate(
            "([c, a]) => fetch(`/api/cases/${c}/timeline?after_seq=${a}&limit=1000`).then(r => r.json())",
            [case_id, after],
        )
        entries += res["entries"]
        if res.get("next_after_seq") is None:
            return entries
        after = res["next_after_seq"]


def sign_in_again_if_asked(page: Page) -> None:
    """A browser restart may drop the session cookie; the officer signs in again with the passkey.

    Either the app asks (the sign-in screen) or the outbox, back online, gets its first item taken.
    """
    page.wait_for_function(
        "location.hash.startsWith('#/signin') || !!document.querySelector('.outbox-item[data-state=sent]')",
        timeout=60_000,
    )
    if "#/signin" in page.url:
        page.click("#signin")
        page.wait_for_function("!location.hash.startsWith('#/signin')", timeout=30_000)


@pytest.mark.e2e
def test_offline_onsite_inspection_survives_reload_and_restart_and_lands_exactly_once(
    playwright: Playwright, server: Server, fake_media: list[str], tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    photo = exif_jpeg()
    ctx = open_profile(playwright, profile, fake_media, server)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    cdp, auth_id = add_authenticator(page)
    register_officer(page, server, name="李警官")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": auth_id})["credentials"]
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    # Home prefetches the pack's record forms for offline use (register_officer waited for it).
    page.wait_for_function("document.documentElement.dataset.offlineReady === '1'", timeout=30_000)

    # -- on site, no network
    ctx.set_offline(True)
    page.click("#new-case")
    page.fill("#f-p\\.title", "某餐饮公司现场检查")
    page.select_option("#f-p\\.enforcement_kind", "inspection")
    page.select_option("#f-p\\.start_path", "random_inspection")
    page.fill("#f-p\\.parties-0\\.name", "某餐饮有限公司")
    page.select_option("#f-p\\.parties-0\\.kind", "organisation")
    page.click("#open-case")
    page.wait_for_selector("[data-step=onsite_inspection]")
    case_id = page.url.split("#/cases/")[1]
    page.click("[data-step=onsite_inspection]")
    page.wait_for_selector("#submit")
    expect(page.locator("#gps-stamp")).to_contain_text("26.896800")
    page.fill("#f-p\\.place", "衡阳市蒸湘区某路1号")
    page.fill("#f-p\\.target", "某餐饮有限公司")
    page.fill("#f-p\\.findings", "后厨未按规定公示从业人员健康证明")
    page.fill("#f-p\\.pages", "2")

    page.click("#photo-open")
    page.click("#photo-shoot")
    page.click("#photo-shoot")
    page.click("#photo-close")
    page.set_input_files(
        "#native-photo",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}],
    )

    av_session(page, "audio")
    wait_chunks(page, 2)
    page.click("#av-interrupt")
    page.fill("#interrupt-explanation", "当事人接听电话，暂停询问")
    page.click("#interrupt-ok")
    resumed_at = page.evaluate("Date.now()")
    page.click("#av-resume")
    wait_chunks(page, 1, since_ms=resumed_at)
    page.click("#av-end")

    sign(page, "officer", "李警官", 1)
    sign(page, "officer", "王警官", 1)
    sign(page, "officer", "李警官", 2)
    sign(page, "officer", "王警官", 2)
    sign(page, "party", "赵经理", 1)
    # Page 2: the party refuses; a witness signs instead.
    page.fill("#sig-name", "赵经理")
    page.select_option("#sig-role", "party")
    page.select_option("#sig-page", "2")
    page.click("#method-refused")
    page.fill("#refusal-reason", "当事人对检查结论有异议，拒绝在第2页签字")
    page.click("#refusal-save")
    expect(page.locator(".signature[data-method=refused]")).to_be_visible()
    page.fill("#sig-name", "孙见证")
    page.select_option("#sig-page", "2")
    draw_with_pressure(page, "#sig-pad", [[(40 + 10 * i, 80 + i) for i in range(12)]])
    page.click("#sig-save")
    expect(page.locator(".signature[data-method=refused]")).to_be_visible()
    expect(page.locator(".signature[data-role=witness]")).to_be_visible()

    # -- a video session: reloaded mid-recording, then the browser closed mid-recording
    av_session(page, "video")
    wait_chunks(page, 2)
    page.reload()
    wait_ready(page)
    page.goto(f"/#/cases/{case_id}/steps/onsite_inspection")
    page.wait_for_selector(".open-session")
    # The draft survived the reload too.
    expect(page.locator("#f-p\\.findings")).to_have_value("后厨未按规定公示从业人员健康证明")
    page.locator(".open-session #av-resume").click()
    wait_chunks(page, 2)
    ctx.close()

    ctx = open_profile(playwright, profile, fake_media, server)
    ctx.set_offline(True)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    cdp, auth_id = add_authenticator(page)
    for cred in credentials:
        cdp.send("WebAuthn.addCredential", {"authenticatorId": auth_id, "credential": cred})
    page.goto(f"/#/cases/{case_id}/steps/onsite_inspection")
    wait_ready(page)
    page.wait_for_selector(".open-session")
    # Interrupted by the crash: the officer resumes, stating the reason aloud, then ends the session.
    page.locator(".open-session #av-resume").click()
    wait_chunks(page, 2)
    page.locator(".open-session #av-end").click()
    expect(page.locator(".open-session")).to_have_count(0)
    page.click("#submit")

    # Offline, the submitted record is queued and the send it started has failed back to queued.
    items = wait_outbox(
        page,
        "(items) => items.some((i) => i.body.kind === 'record.onsite_inspection' && i.state === 'queued')"
        " && items.every((i) => i.state === 'queued')",
    )
    assert items and all(i["state"] == "queued" for i in items), [i["state"] for i in items]
    kinds = [i["body"].get("kind") for i in items]
    assert items[0]["type"] == "case"
    assert kinds.count("media.photo") == 3
    assert kinds.count("media.signature") == 6
    assert kinds.count("media.audio") == 2  # before and after the interruption
    assert kinds.count("media.video") >= 3  # cut by the reload and by the browser closing
    assert kinds.count("record.onsite_inspection") == 1
    assert "av.interrupted" in kinds and "av.resumed" in kinds and kinds.count("av.ended") == 2
    recovered = [i for i in items if i["type"] == "media" and "recovered" in (i["label"] or "")]
    assert len(recovered) >= 2

    # -- back online: everything goes, one at a time, exactly once
    ctx.set_offline(False)
    page.goto("/#/outbox")
    sign_in_again_if_asked(page)
    sent = wait_all_sent(page, timeout_s=180)
    page.goto("/#/outbox")
    expect(page.locator(".outbox-item[data-state=sent]").first).to_be_visible()
    expect(page.locator(".entry-hash").first).to_contain_text(sent[-1]["result"]["hash"][:8])

    entries = timeline(page, case_id)
    by_client: dict[str, int] = {}
    for e in entries:
        by_client[e["client_id"]] = by_client.get(e["client_id"], 0) + 1
    assert all(n == 1 for n in by_client.values())
    for item in sent:
        if item["type"] == "case":
            continue
        assert by_client.get(item["id"]) == 1, (item["body"].get("kind"), item["id"])
        match = next(e for e in entries if e["client_id"] == item["id"])
        assert match["hash"] == item["result"]["hash"]
        if item["type"] == "media":
            assert match["payload"]["sha256"] == item["sha256"]
        assert match["device"] == item["body"]["device"]
        assert match["claimed"]["geo"]["accuracy_m"] == 8
    record = next(e for e in entries if e["kind"] == "record.onsite_inspection")
    methods = {(s["role"], s["method"], s.get("page")) for s in record["payload"]["signatures"]}
    assert ("party", "refused", 2) in methods and ("witness", "drawn", 2) in methods
    assert ("party", "drawn", 1) in methods
    signature_blobs = {e["payload"]["sha256"] for e in entries if e["kind"] == "media.signature"}
    assert {s["blob"] for s in record["payload"]["signatures"] if "blob" in s} <= signature_blobs
    strokes = next(e for e in entries if e["kind"] == "media.signature")["payload"]["strokes"]
    pressures = {round(p[2], 2) for stroke in strokes for p in stroke}
    assert len(pressures) > 3, "touch force was kept per point"
    # The native camera's file arrived byte for byte: its EXIF is there for the server's checks.
    native_item = next(i for i in sent if "IMG_0001.jpg" in (i["label"] or ""))
    native = next(e for e in entries if e["client_id"] == native_item["id"])
    assert native["payload"]["sha256"] == hashlib.sha256(photo).hexdigest()
    ctx.close()

    verify = server.cli("verify", case_id, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    whole = server.cli("verify", check=False)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    json.dumps(entries)  # the timeline is plain JSON all the way down
