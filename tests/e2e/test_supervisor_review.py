"""A supervisor in a real browser: reviews a finished case, plays its recording, approves with a
passkey and completes a spot check. The officer's case is made through the same HTTP API the app uses."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


# Play a recording until `seconds` of it have played (waiting on the player's played ranges, not a fixed
# time; a player that never moves gives up after 15 s and the test's assertion says so); pause if asked.
PLAY = """async ([selector, seconds, pause]) => {
  const v = document.querySelector(selector);
  v.muted = true;
  await v.play();
  const watched = () => {
    let total = 0;
    for (let i = 0; i < v.played.length; i++) total += v.played.end(i) - v.played.start(i);
    return total;
  };
  await new Promise((done) => {
    v.addEventListener("timeupdate", () => watched() > seconds && done());
    setTimeout(done, 15000);
  });
  if (pause) v.pause();
  return v.currentTime;
}"""


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

        played = supervisor.evaluate(PLAY, ["article[data-kind='media.video'] video", 0.3, False])
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
        # Other tests' officers may have recordings drawn this month too: follow this one row.
        checked = pending.first.get_attribute("data-entry")
        pending.first.locator("button.check-it").click()
        supervisor.evaluate(PLAY, [".spot-player", 0.6, True])
        form = supervisor.locator("form.finding")
        form.locator("input[name=start_statement]").check()
        form.locator("input[name=complete_without_gaps]").check()
        form.locator("select[name=outcome]").select_option("compliant")
        form.locator("textarea[name=notes]").fill("开头告知完整，全程连续。")
        form.locator("button[type=submit]").click()
        expect(
            supervisor.locator(f"#spot-checks tr[data-entry='{checked}'][data-status='done']")
        ).to_have_count(1, timeout=30_000)
    finally:
        officer_context.close()
        supervisor_context.close()


IMPORT_JS = """
async ({video, sha, filename}) => {
  const csrf = decodeURIComponent((document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "");
  const me = await (await fetch("/api/me", {credentials: "same-origin"})).json();
  const bytes = Uint8Array.from(atob(video), (c) => c.charCodeAt(0));
  const clientId = crypto.randomUUID();
  const meta = {sha256: sha, media_type: "video/webm", case_id: `agency:${me.agency_id}`, client_id: clientId, filename};
  const created = await fetch("/api/uploads", {method: "POST", credentials: "same-origin", headers: {
    "x-csrftoken": csrf, "Tus-Resumable": "1.0.0", "Upload-Length": String(bytes.length),
    "Upload-Metadata": Object.entries(meta).map(([k, v]) => `${k} ${btoa(v)}`).join(",")}});
  if (created.status !== 201) throw new Error("tus create " + created.status + " " + await created.text());
  const patched = await fetch(created.headers.get("Location"), {method: "PATCH", credentials: "same-origin", body: bytes, headers: {
    "x-csrftoken": csrf, "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}});
  if (patched.status !== 204) throw new Error("tus patch " + patched.status + " " + await patched.text());
  const imported = await fetch("/api/recordings", {method: "POST", credentials: "same-origin",
    headers: {"content-type": "application/json", "x-csrftoken": csrf},
    body: JSON.stringify({client_id: clientId, sha256: sha, filename, media_type: "video/webm", computer: "PC-执法室-01", via: "browser"})});
  if (!imported.ok) throw new Error("import " + imported.status + " " + await imported.text());
  return me.staff_id;
}
"""

RAW_STAFF_ID = re.compile(r"\bs-[0-9a-f]{6,}")


def visible_text(page: Page, selector: str) -> str:
    return page.locator(selector).inner_text()


def test_a_supervisor_reads_names_files_a_patrol_recording_and_exports_the_dossier(
    browser, server: Server
) -> None:
    from tests.e2e.conftest import context_options

    wide = {**context_options(server), "viewport": {"width": 1400, "height": 900}}
    officer_context = browser.new_context(**context_options(server))
    supervisor_context = browser.new_context(**wide, accept_downloads=True)
    approver_context = browser.new_context(**wide)
    try:
        officer = context_page(officer_context, server, "officer", "张执法")
        video = small_webm()
        made = officer.evaluate(
            OFFICER_JS,
            {"video": base64.b64encode(video).decode(), "sha": hashlib.sha256(video).hexdigest(),
             "caseClientId": str(uuid.uuid4())},
        )  # fmt: skip
        # A patrol recording from the body-worn recorder that matched no case.
        patrol = small_webm(2.0)
        patrol_sha = hashlib.sha256(patrol).hexdigest()
        shot_at = datetime.now(UTC) + timedelta(hours=8) - timedelta(hours=3)
        officer_id = officer.evaluate(
            IMPORT_JS,
            {"video": base64.b64encode(patrol).decode(), "sha": patrol_sha,
             "filename": f"DSJ_0123456_{shot_at:%Y%m%d_%H%M%S}.webm"},
        )  # fmt: skip

        supervisor = context_page(supervisor_context, server, "supervisor", "周督查")
        supervisor.on("pageerror", lambda e: print("PAGEERROR", e))

        # The case list speaks Chinese: stage, kind and officers by name, filters as choices.
        supervisor.goto(f"{server.url}/#/review")
        row = supervisor.locator(f"tr[data-case-id='{made['caseId']}']")
        expect(row).to_contain_text("行政处罚", timeout=30_000)
        expect(row.locator("td.officers")).to_have_text("张执法")
        assert not RAW_STAFF_ID.search(visible_text(supervisor, "#review-cases"))
        assert "penalty" not in visible_text(supervisor, "#review-cases")
        supervisor.locator("select[name=officer]").select_option(officer_id)
        supervisor.locator("form.filters button[type=submit]").click()
        expect(supervisor).to_have_url(re.compile(f"officer={officer_id}"))
        expect(supervisor.locator(f"tr[data-case-id='{made['caseId']}']")).to_be_visible()

        # The unassigned patrol recording is filed under the case from the review screen.
        supervisor.goto(f"{server.url}/#/review/recordings")
        rec_row = supervisor.locator(f"tr[data-sha='{patrol_sha}']")
        expect(rec_row).to_contain_text("张执法", timeout=30_000)
        expect(rec_row).to_contain_text("PC-执法室-01")
        rec_row.locator("select[name=case_id]").select_option(made["caseId"])
        expect(rec_row.locator("select[name=for_entry] option")).not_to_have_count(1)
        rec_row.locator("select[name=for_entry]").select_option(index=1)
        rec_row.locator("button[type=submit]").click()
        expect(rec_row.locator(".badge.ok")).to_be_visible(timeout=30_000)

        # On the case timeline: names and titles, the recording plays, custody in words, no false skew.
        supervisor.goto(f"{server.url}/#/review/cases/{made['caseId']}")
        linked = supervisor.locator("article[data-kind='recording.linked']")
        expect(linked.locator("table.custody")).to_contain_text("张执法", timeout=30_000)
        expect(linked.locator("table.custody")).to_contain_text("PC-执法室-01")
        expect(linked.locator(".badge.bad")).to_have_count(0)
        played = supervisor.evaluate(
            PLAY, ["article[data-kind='recording.linked'] video", 0.3, False]
        )
        assert played > 0.2
        timeline_text = visible_text(supervisor, "#timeline")
        assert "record." not in timeline_text and "case.opened" not in timeline_text
        assert not RAW_STAFF_ID.search(timeline_text)
        assert "现场检查（勘验）笔录" in timeline_text and "张执法" in timeline_text

        # Dossier export: asked for here, approved with the approver's passkey, then downloaded.
        panel = supervisor.locator("#export")
        panel.locator("input[name=purpose]").fill("移送法院")
        panel.locator("input[name=recipient]").fill("衡阳市中级人民法院")
        panel.locator("form.request-export button[type=submit]").click()
        expect(panel.locator("#export-waiting")).to_be_visible(timeout=30_000)

        approver = context_page(approver_context, server, "approver", "李审批")
        approver.goto(f"{server.url}/#/review/approvals")
        waiting = approver.locator("article.approval[data-kind='export.requested']")
        expect(waiting).to_contain_text("周督查", timeout=30_000)
        expect(waiting).to_contain_text("复制/导出申请")
        waiting.locator("button[data-decision]").click()
        expect(waiting.locator(".badge.ok")).to_be_visible(timeout=30_000)

        supervisor.reload()
        supervisor.locator("#generate-dossier").click(timeout=30_000)
        pdf_link = supervisor.locator("#export a[data-file=pdf]").first
        expect(pdf_link).to_be_visible(timeout=120_000)
        with supervisor.expect_download() as download:
            pdf_link.click()
        assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
        copies = supervisor.evaluate(
            "async (id) => (await (await fetch(`/api/cases/${id}/timeline?limit=1000`)).json()).entries"
            ".filter(e => e.kind === 'access.viewed' && e.payload.action === 'copy').map(e => e.payload.what)",
            made["caseId"],
        )
        assert any(w.startswith("dossier.pdf") for w in copies)

        # A court case is coming: the supervisor holds the case from the retention screen, then lets go.
        supervisor.goto(f"{server.url}/#/review/retention")
        hold_form = supervisor.locator("#place-hold")
        hold_form.locator("select[name=case_id]").select_option(made["caseId"])
        hold_form.locator("input[name=reason]").fill("当事人已提起行政诉讼")
        hold_form.locator("button[type=submit]").click()
        held = supervisor.locator("#holds tbody tr")
        expect(held).to_contain_text("当事人已提起行政诉讼", timeout=30_000)
        expect(held).to_contain_text("周督查")
        held.locator("button").click()
        supervisor.locator("dialog.ask textarea").fill("诉讼已终结")
        supervisor.locator("dialog.ask button[type=submit]").click()
        expect(supervisor.locator("#holds")).to_have_count(0, timeout=30_000)

        # Statistics: headers and bars in words, officers by name.
        supervisor.goto(f"{server.url}/#/review/statistics")
        expect(supervisor.locator("#statistics thead")).to_contain_text("执法人员", timeout=30_000)
        stats_text = visible_text(supervisor, "#statistics")
        assert "kind:" not in stats_text and "stage:" not in stats_text
        assert "类别：行政处罚" in stats_text and "张执法" in stats_text
        assert not RAW_STAFF_ID.search(stats_text)
        # The charts are drawn by the server and arrive after the table.
        expect(supervisor.locator("svg.chart text.bar-label").first).to_be_attached(timeout=30_000)
        labels = supervisor.locator("svg.chart text.bar-label").all_text_contents()
        assert labels and not any(RAW_STAFF_ID.search(t) for t in labels)
    finally:
        officer_context.close()
        supervisor_context.close()
        approver_context.close()


def context_page(context: BrowserContext, server: Server, role: str, name: str) -> Page:
    page = context.new_page()
    add_authenticator(page)
    page.goto(server.url)
    wait_ready(page)
    register_officer(page, server, role=role, name=name)
    return page
