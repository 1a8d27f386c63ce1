"""A supervisor's desk on a phone and at a desk: approving with the record in view, refusing another
with a reason, this month's spot check replayed (a phone's WebM without a duration plays and seeks),
statistics and the case's map in words. Screenshots go to test-artifacts/screens/ for review."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, context_options, wait_ready
from tests.e2e.test_supervisor_review import new_staff_page

pytestmark = pytest.mark.e2e

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}},
    "desktop": {"viewport": {"width": 1400, "height": 900}, "is_mobile": False, "has_touch": False},
}
MACHINE_TEXT = re.compile(
    r"\b[0-9a-f]{10,}|\b(?:record|media|export|stage|kind)[.:][a-z_]+|\bs-[0-9a-f]{6,}"
)


def phone_webm_without_duration() -> bytes:
    """A WebM written as a phone's MediaRecorder writes it: streamed, so no duration in its header."""
    import av
    from PIL import Image

    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def write(self, b) -> int:
            self.data += bytes(b)
            return len(b)

    out = Stream()
    with av.open(out, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(30):
            frame = Image.new("RGB", (64, 48), ((i * 8) % 255, 90, 150))
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return bytes(out.data)


def jpeg() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (235, 235, 225))
    ImageDraw.Draw(image).rectangle((40, 60, 280, 180), outline=(30, 30, 30), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


OFFICER_JS = """
async ({video: videoBytes, photo: photoBytes}) => {
  const csrf = decodeURIComponent((document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "");
  const headers = {"content-type": "application/json", "x-csrftoken": csrf};
  const call = async (path, body) => {
    const res = await fetch(path, {method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin"});
    const text = await res.text();
    if (!res.ok) throw new Error(path + " " + res.status + " " + text);
    return JSON.parse(text);
  };
  const sha = async (bytes) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const now = () => new Date().toISOString();
  const at = (lat, lon) => ({time: now(), clock_offset_ms: 0, geo: {lat, lon, accuracy_m: 12, fix_time: now()}});
  const opened = await call("/api/cases", {client_id: crypto.randomUUID(), title: "某建筑公司拖欠工资案", enforcement_kind: "penalty",
    procedure: "general", start_path: "ex_officio", parties: [{name: "衡阳某建筑公司", kind: "organisation"}], officers: [],
    claimed: at(26.8968, 112.5719)});
  const caseId = opened.case_id;
  await call(`/api/cases/${caseId}/entries`, {kind: "record.onsite_inspection", client_id: crypto.randomUUID(),
    payload: {target: "衡阳某建筑公司工地", findings: "查见工资台账缺失。"}, claimed: at(26.8991, 112.5748)});
  const proposal = async (text, where) => (await call(`/api/cases/${caseId}/entries`, {kind: "record.handler_proposal",
    client_id: crypto.randomUUID(), claimed: where,
    payload: {facts: "拖欠农民工工资三个月，共计十二万元", legal_basis: "《保障农民工工资支付条例》第五十四条", proposal: text, drafter: "张执法"}})).hash;
  const approve = await proposal("责令限期支付并处罚款两万元", at(26.9012, 112.5802));
  const refuse = await proposal("罚款五十万元", at(26.9030, 112.5811));
  const upload = async (b64, mediaType, kind, filename, payload) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const hash = await sha(bytes);
    const meta = {sha256: hash, media_type: mediaType, case_id: caseId, client_id: crypto.randomUUID(), filename};
    const created = await fetch("/api/uploads", {method: "POST", credentials: "same-origin", headers: {
      "x-csrftoken": csrf, "Tus-Resumable": "1.0.0", "Upload-Length": String(bytes.length),
      "Upload-Metadata": Object.entries(meta).map(([k, v]) => `${k} ${btoa(v)}`).join(",")}});
    if (created.status !== 201) throw new Error("tus create " + created.status + " " + await created.text());
    const patched = await fetch(created.headers.get("Location"), {method: "PATCH", credentials: "same-origin", body: bytes, headers: {
      "x-csrftoken": csrf, "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}});
    if (patched.status !== 204) throw new Error("tus patch " + patched.status + " " + await patched.text());
    return (await call(`/api/cases/${caseId}/media`, {client_id: meta.client_id, sha256: hash, kind, media_type: mediaType,
      claimed: at(26.9001, 112.5790), payload})).hash;
  };
  const photo = await upload(photoBytes, "image/jpeg", "media.photo", "wages.jpg", {for_entry: approve, caption: "工资台账照片"});
  const video = await upload(videoBytes, "video/webm", "media.video", "talk.webm", {for_entry: approve, caption: "约谈负责人录像"});
  return {caseId, approve, refuse, photo, video};
}
"""


def shot(page: Page, size: str, name: str, part: str | None = None) -> None:
    """The page (or one part of it) once passing messages have gone, for a person to look at."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    expect(page.locator(".toast")).to_have_count(0, timeout=15_000)
    path = str(SCREENS / f"review-desk-{size}-{name}.png")
    if part:
        page.locator(part).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=True)


def tabs_fit_on_one_row(page: Page) -> None:
    tops = page.locator("nav.review-tabs a").evaluate_all(
        "(links) => links.map((a) => a.getBoundingClientRect().top)"
    )
    assert len(tops) == 6 and len(set(round(t) for t in tops)) == 1, tops
    names = page.locator("nav.review-tabs a").all_inner_texts()
    assert names == ["案件", "待审批", "抽查台帐", "未关联录像", "保存与销毁", "统计"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_supervisor_approves_with_the_record_in_view_refuses_another_and_reads_the_desk(
    browser, server: Server, size: str
) -> None:
    officer_context = browser.new_context(**context_options(server))
    desk = browser.new_context(**{**context_options(server), **SIZES[size]})
    try:
        officer = new_staff_page(officer_context, server, "officer")
        made = officer.evaluate(
            OFFICER_JS,
            {"video": base64.b64encode(phone_webm_without_duration()).decode(),
             "photo": base64.b64encode(jpeg()).decode()},
        )  # fmt: skip
        head = new_staff_page(desk, server, "approver")

        # The approval shows what is approved: the record in words, its photo and recording, the case.
        head.goto(f"{server.url}/#/review/approvals")
        card = head.locator(f"article.approval[data-entry='{made['approve']}']")
        expect(card.locator("dl.record")).to_contain_text("拖欠农民工工资三个月", timeout=30_000)
        expect(card.locator("dl.record")).to_contain_text("拟处理意见")
        expect(card.locator("dl.record")).to_contain_text("责令限期支付并处罚款两万元")
        photo = card.locator(".media-strip img").first
        expect(photo).to_be_visible()
        # Thumbnails load lazily: with other approvals waiting above, the approver scrolls to it.
        photo.scroll_into_view_if_needed()
        head.wait_for_function(
            "(sel) => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }",
            arg=f"article.approval[data-entry='{made['approve']}'] .media-strip img",
            timeout=30_000,
        )
        # The phone's WebM has no duration in its header; the player finds it (it showed 0:00).
        expect(card.locator(".media-strip video")).to_have_attribute(
            "data-duration", re.compile(r"^[1-9]"), timeout=30_000
        )
        expect(card.locator(".case-state")).to_contain_text("某建筑公司拖欠工资案")
        expect(card.locator(".case-state")).to_contain_text("合规")
        tabs_fit_on_one_row(head)
        card.scroll_into_view_if_needed()
        shot(head, size, "approval")
        text = head.locator("#approvals").inner_text()
        assert not MACHINE_TEXT.search(text), MACHINE_TEXT.search(text)

        card.locator("textarea.reason").fill("同意承办人意见")
        card.locator("button[data-decision='approve']").click()
        expect(card.locator(".state .badge.ok")).to_have_text("已批准", timeout=30_000)

        other = head.locator(f"article.approval[data-entry='{made['refuse']}']")
        expect(other.locator("dl.record")).to_contain_text("罚款五十万元")
        other.locator("button[data-decision='refuse']").click()  # no reason yet: nothing is signed
        expect(head.locator(".toast").last).to_contain_text("理由")
        other.locator("textarea.reason").fill("罚款数额超出裁量基准")
        other.locator("button[data-decision='refuse']").click()
        expect(other.locator(".state .badge.bad")).to_have_text("不予批准", timeout=30_000)
        shot(head, size, "decided")
        signed = head.evaluate(
            """async (id) => (await (await fetch(`/api/cases/${id}/timeline?limit=1000`)).json()).entries
                 .filter((e) => e.kind === "signature.passkey").map((e) => [e.payload.signs, e.payload.meaning, e.payload.comment])""",
            made["caseId"],
        )
        assert sorted(signed) == sorted([[made["approve"], "approve", "同意承办人意见"],
                                         [made["refuse"], "refuse", "罚款数额超出裁量基准"]])  # fmt: skip

        # Spot checks: this month is already chosen; the phone's recording plays and seeks.
        month = datetime.now(UTC).strftime("%Y-%m")
        head.goto(f"{server.url}/#/review/spot-checks")
        expect(head.locator("input[name=period]")).to_have_value(month, timeout=30_000)
        head.locator("form.month-form button[type=submit]").click()
        mine = head.locator(f"#spot-checks tr[data-entry='{made['video']}'][data-status='pending']")
        expect(mine).to_be_visible(timeout=30_000)
        mine.locator("button.check-it").click()
        player = head.locator(".spot-player")
        expect(player).to_have_attribute("data-duration", re.compile(r"^[1-9]"), timeout=30_000)
        duration = head.evaluate(
            """async () => { const v = document.querySelector(".spot-player"); v.muted = true;
                 await v.play(); await new Promise((r) => v.addEventListener("timeupdate", r, {once: true}));
                 v.pause(); v.currentTime = 1.5;
                 await new Promise((r) => v.addEventListener("seeked", r, {once: true}));
                 return [v.duration, v.currentTime]; }"""
        )
        assert 2.5 <= duration[0] < 4 and duration[1] >= 1.4, duration
        form = head.locator("form.finding")
        form.locator("input[name=start_statement]").check()
        form.locator("input[name=picture_and_sound_clear]").check()
        form.locator("select[name=outcome]").select_option("compliant")
        form.locator("textarea[name=notes]").fill("告知完整，画面清晰。")
        form.locator("button[type=submit]").click()
        done = head.locator(f"#spot-checks tr[data-entry='{made['video']}'][data-status='done']")
        expect(done.locator(".spot-result")).to_contain_text("合格", timeout=30_000)
        expect(done.locator(".spot-result")).to_contain_text("✔ 开头告知录音录像")
        expect(head.locator("#spot-summary")).to_contain_text("已检查")
        tabs_fit_on_one_row(head)
        shot(head, size, "spot-checks")
        assert not MACHINE_TEXT.search(head.locator("#spot-checks").inner_text())

        # Statistics: in words, charts the server drew, and a spreadsheet with Chinese titles.
        head.goto(f"{server.url}/#/review/statistics")
        expect(head.locator("#statistics-words")).to_contain_text("抽查录像", timeout=30_000)
        expect(head.locator("figure.chart-box svg").first).to_be_attached(timeout=30_000)
        expect(head.locator("figure.chart-box[data-metric='spot_checked'] svg")).to_contain_text(
            "1"
        )
        headers = head.locator("#statistics thead th").all_inner_texts()
        assert "音像记录覆盖率" in headers and "已抽查录像" in headers
        assert not [t for t in headers if re.search(r"[a-z]_[a-z]", t)], headers
        sheet = head.evaluate(
            "async () => (await fetch(document.querySelector('#csv').href)).text()"
        )
        assert sheet.lstrip("\ufeff").startswith("执法人员,月份,音像记录覆盖率,案件数")
        shot(head, size, "statistics")
        shot(head, size, "statistics-charts", ".charts")

        # The case's places: a plot to scale with times (no map service is set on this server).
        head.goto(f"{server.url}/#/review/cases/{made['caseId']}")
        map_box = head.locator("#case-map")
        expect(map_box.locator("svg.plot.plain .scale text")).to_contain_text(
            re.compile("米|公里"), timeout=30_000
        )
        expect(map_box.locator("svg .place")).to_have_count(6)
        assert not MACHINE_TEXT.search(map_box.inner_text())
        expect(map_box.locator("figcaption")).to_contain_text("处位置")
        shot(head, size, "map", "#case-map")

        # Reading English in the app means notifications in English too (the server writes them).
        language = "async () => (await (await fetch('/api/notify/language')).json()).language"
        assert head.evaluate(language) == "zh-CN"
        head.goto(f"{server.url}/#/settings")
        head.locator("button[data-lang=en]").click()
        head.wait_for_function("document.documentElement.lang === 'en'", timeout=30_000)
        wait_ready(head)
        assert head.evaluate(language) == "en"
    finally:
        officer_context.close()
        desk.close()
