"""A supervisor in a real browser: reviews a finished case, plays its recording, approves with a
passkey and completes a spot check. The officer's case is made through the same HTTP API the app uses."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Server, add_authenticator, register_officer, wait_ready

pytestmark = pytest.mark.e2e


def small_webm(seconds: float = 1.5) -> bytes:
    """A real VP8 WebM made here, so the browser can play it and the server can probe it."""
    import av
    from PIL import Image

    out = io.BytesIO()
    with av.open(out, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(int(seconds * 10)):
            image = Image.new("RGB", (64, 48), ((i * 12) % 255, 80, 160))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


OFFICER_JS = """
async ({video, sha, caseClientId}) => {
  const csrf = decodeURIComponent((document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "");
  const headers = {"content-type": "application/json", "x-csrftoken": csrf};
  const call = async (path, body) => {
    const res = await fetch(path, {method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin"});
    const text = await res.text();
    if (!res.ok) throw new Error(path + " " + res.status + " " + text);
    return JSON.parse(text);
  };
  const now = new Date().toISOString();
  const claimed = {time: now, clock_offset_ms: 0, geo: {lat: 26.8968, lon: 112.5719, accuracy_m: 8, fix_time: now}};
  const opened = await call("/api/cases", {client_id: caseClientId, title: "某公司拖欠工资案", enforcement_kind: "penalty",
    procedure: "general", start_path: "ex_officio", parties: [{name: "衡阳某建筑公司", kind: "organisation"}],
    officers: [], claimed});
  const caseId = opened.case_id;
  const inspection = await call(`/api/cases/${caseId}/entries`, {kind: "record.onsite_inspection", client_id: crypto.randomUUID(),
    payload: {target: "衡阳某建筑公司工地", findings: "查见工资台账缺失。"}, claimed});
  const bytes = Uint8Array.from(atob(video), (c) => c.charCodeAt(0));
  const meta = {sha256: sha, media_type: "video/webm", case_id: caseId, client_id: crypto.randomUUID(), filename: "inspection.webm"};
  const created = await fetch("/api/uploads", {method: "POST", credentials: "same-origin", headers: {
    "x-csrftoken": csrf, "Tus-Resumable": "1.0.0", "Upload-Length": String(bytes.length),
    "Upload-Metadata": Object.entries(meta).map(([k, v]) => `${k} ${btoa(v)}`).join(",")}});
  if (created.status !== 201) throw new Error("tus create " + created.status + " " + await created.text());
  const patched = await fetch(created.headers.get("Location"), {method: "PATCH", credentials: "same-origin", body: bytes, headers: {
    "x-csrftoken": csrf, "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}});
  if (patched.status !== 204) throw new Error("tus patch " + patched.status + " " + await patched.text());
  await call(`/api/cases/${caseId}/media`, {client_id: meta.client_id, sha256: sha, kind: "media.video", media_type: "video/webm",
    claimed, payload: {for_entry: inspection.hash, caption: "现场检查录像"}});
  const proposal = await call(`/api/cases/${caseId}/entries`, {kind: "record.handler_proposal", client_id: crypto.randomUUID(),
    payload: {facts: "拖欠工资三个月", legal_basis: "《劳动保障监察条例》第二十六条", proposal: "责令支付并处罚款", drafter: "承办人"}, claimed});
  return {caseId, proposal: proposal.hash};
}
"""


def new_staff_page(context: BrowserContext, server: Server, role: str) -> Page:
    page = context.new_page()
    add_authenticator(page)
    page.goto(server.url)
    wait_ready(page)
    register_officer(page, server, role=role)
    return page


def test_supervisor_reviews_plays_approves_with_a_passkey_and_completes_a_spot_check(
    browser, server: Server
) -> None:
    from tests.e2e.conftest import context_options

    officer_context = browser.new_context(**context_options(server))
    # Supervisors work at a desk: the wide layout of the same app.
    wide = {**context_options(server), "viewport": {"width": 1400, "height": 900}}
    supervisor_context = browser.new_context(**wide)
    try:
        officer = new_staff_page(officer_context, server, "officer")
        video = small_webm()
        made = officer.evaluate(
            OFFICER_JS,
            {"video": base64.b64encode(video).decode(), "sha": hashlib.sha256(video).hexdigest(),
             "caseClientId": str(uuid.uuid4())},
        )  # fmt: skip
        supervisor = new_staff_page(supervisor_context, server, "approver")
        supervisor.on("pageerror", lambda e: print("PAGEERROR", e))

        supervisor.goto(f"{server.url}/#/review")
        row = supervisor.locator(f"tr[data-case-id='{made['caseId']}']")
        expect(row).to_be_visible(timeout=30_000)
        expect(row.locator(".badge").first).to_be_visible()
        href = row.locator("a").first.get_attribute("href")
        assert href == f"#/review/cases/{made['caseId']}"
        supervisor.goto(f"{server.url}/{href}")
        expect(supervisor.locator("#integrity.ok")).to_be_visible(timeout=30_000)
        expect(supervisor.locator("#compliance li").first).to_be_visible()
        expect(supervisor.locator("svg.plot circle").first).to_be_attached()

        played = supervisor.evaluate(
            """async () => {
              const v = document.querySelector("article[data-kind='media.video'] video");
              v.muted = true; await v.play();
              await new Promise((r) => setTimeout(r, 800));
              return v.currentTime;
            }"""
        )
        assert played > 0.2

        card = supervisor.locator(f"#entry-{made['proposal']}")
        card.locator("button.sign").click()
        expect(card.locator(".badge.ok")).to_be_visible(timeout=30_000)
        kinds = supervisor.evaluate(
            "async (id) => (await (await fetch(`/api/cases/${id}/timeline?limit=1000`)).json()).entries.map(e => [e.kind, e.payload.signs || null, e.payload.meaning || null])",
            made["caseId"],
        )
        assert ["signature.passkey", made["proposal"], "approve"] in kinds

        month = datetime.now(UTC).strftime("%Y-%m")
        supervisor.goto(f"{server.url}/#/review/spot-checks")
        supervisor.locator("input[name=period]").fill(month)
        supervisor.locator("form.row button[type=submit]").click()
        pending = supervisor.locator("#spot-checks tr[data-status='pending']")
        expect(pending.first).to_be_visible(timeout=30_000)
        pending.first.locator("button.check-it").click()
        supervisor.evaluate(
            """async () => { const v = document.querySelector(".spot-player"); v.muted = true;
               await v.play(); await new Promise((r) => setTimeout(r, 600)); v.pause(); }"""
        )
        form = supervisor.locator("form.finding")
        form.locator("input[name=start_statement]").check()
        form.locator("input[name=complete_without_gaps]").check()
        form.locator("select[name=outcome]").select_option("compliant")
        form.locator("textarea[name=notes]").fill("开头告知完整，全程连续。")
        form.locator("button[type=submit]").click()
        expect(supervisor.locator("#spot-checks tr[data-status='done']")).to_have_count(
            1, timeout=30_000
        )
    finally:
        officer_context.close()
        supervisor_context.close()
