"""A phone's storage over a shift: photos leave the device once the server has them (the outbox keeps
a small index), settings show how full it is, and an older device's database is upgraded step by step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    ROOT,
    Server,
    add_authenticator,
    outbox_items,
    register_officer,
    wait_all_sent,
    wait_ready,
)

pytestmark = pytest.mark.e2e
SCREENS = ROOT / "test-artifacts" / "screens"

QUEUE_CASE_WITH_PHOTOS = """async (n) => {
  const outbox = await import('/js/outbox.js');
  const stamps = await import('/js/stamps.js');
  const caseId = crypto.randomUUID();
  await outbox.enqueue({type: 'case', case_id: caseId, label: '现场检查', body: {
    case_id: caseId, title: '某餐馆现场检查', enforcement_kind: 'inspection', procedure: 'general',
    start_path: 'ex_officio', parties: [{name: '某餐馆', kind: 'organisation'}], officers: [],
    claimed: stamps.stamp(), device: stamps.device()}});
  const canvas = new OffscreenCanvas(320, 240);
  const g = canvas.getContext('2d');
  const ids = [];
  for (let i = 0; i < n; i++) {
    g.fillStyle = `hsl(${i * 90} 70% 50%)`;
    g.fillRect(0, 0, 320, 240);
    g.fillText(`photo ${i} ${Date.now()}`, 10, 120);
    const jpeg = await canvas.convertToBlob({type: 'image/jpeg', quality: 0.9});
    const blob = await outbox.keepBlob(jpeg, {media_type: 'image/jpeg', filename: `p${i}.jpg`});
    ids.push(blob.id);
    await outbox.enqueue({type: 'media', case_id: caseId, label: `现场照片${i + 1}`, blob, body: {
      sha256: blob.sha256, kind: 'media.photo', media_type: 'image/jpeg',
      claimed: stamps.stamp(), device: stamps.device(), payload: {step: 'record.onsite_inspection'}}});
  }
  return {caseId, ids};
}"""

BLOB_IDS = """() => new Promise((resolve, reject) => {
  const q = indexedDB.open('casetrail');
  q.onerror = () => reject(q.error);
  q.onsuccess = () => {
    const r = q.result.transaction('blobs').objectStore('blobs').getAllKeys();
    r.onsuccess = () => { q.result.close(); resolve(r.result); };
  };
})"""


def test_photos_leave_the_phone_once_the_server_has_them_and_the_case_still_lists_them(
    context: BrowserContext, page: Page, server: Server
) -> None:
    add_authenticator(page)
    register_officer(page, server)
    made = page.evaluate(QUEUE_CASE_WITH_PHOTOS, 2)
    assert set(made["ids"]) <= set(page.evaluate(BLOB_IDS)), "kept until acknowledged"

    items = wait_all_sent(page)
    photos = [i for i in items if i["type"] == "media"]
    assert len(photos) == 2
    # The bytes are gone; what stays is the index: what it was, when it went, the entry's hash.
    assert not set(made["ids"]) & set(page.evaluate(BLOB_IDS))
    for p in photos:
        assert p["blob_id"] is None and p["released_at"] and p["sent_at"]
        assert len(p["result"]["hash"]) == 64 and p["sha256"] and p["size"] > 0
    # The server has them: its copy is what the case shows from now on.
    status = page.evaluate(
        "sha => fetch(`/api/blobs/${sha}?variant=thumbnail`).then(r => r.status)",
        photos[0]["sha256"],
    )
    assert status == 200

    page.goto(f"/#/cases/{made['caseId']}")
    wait_ready(page)
    listed = page.locator(".outbox-item")
    expect(listed.filter(has_text="现场照片1")).to_have_count(1)
    expect(listed.filter(has_text="现场照片2")).to_have_count(1)
    # The photos themselves: the server's thumbnails (the phone's copies are gone), named in words,
    # loaded when scrolled to; a tap shows the whole photo.
    gallery = page.locator("#case-media .case-media-item[data-where=server]")
    expect(gallery).to_have_count(2)
    first = gallery.first.locator("img")
    expect(first).to_have_attribute("alt", re.compile(r"^照片 · "))
    assert "?variant=thumbnail" in first.get_attribute("src")
    first.scroll_into_view_if_needed()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#case-media img')].some(i => i.complete && i.naturalWidth > 0)",
        timeout=30_000,
    )
    page.locator("#case-media").screenshot(path=str(SCREENS / "case-photos-from-server.png"))
    gallery.first.locator("button.photo-open").click()
    whole = page.locator("dialog.photo-view img")
    expect(whole).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('dialog.photo-view img'); return i && i.complete && i.naturalWidth >= 320; }",
        timeout=30_000,
    )
    page.screenshot(path=str(SCREENS / "case-photo-full.png"))
    page.locator("dialog.photo-view button").click()
    expect(page.locator("dialog.photo-view")).to_have_count(0)

    page.goto("/#/settings")
    meter = page.locator("#storage-meter")
    expect(meter).to_contain_text("本机存储")
    expect(page.locator("#storage-released")).to_contain_text("2 个照片或录音已上传，已从本机删除")
    expect(page.locator("#storage-waiting")).to_contain_text("0 个照片或录音等待上传")
    assert page.locator("meter#storage-used").count() == 1
    SCREENS.mkdir(parents=True, exist_ok=True)
    meter.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / "settings-storage.png"))


MAKE_V1_DATABASE = """() => new Promise((resolve, reject) => {
  // The database as release 1 made it, holding one photo already sent and one still waiting.
  const q = indexedDB.open('casetrail', 1);
  q.onupgradeneeded = () => {
    const db = q.result;
    db.createObjectStore('outbox', {keyPath: 'id'}).createIndex('seq', 'seq', {unique: true});
    db.createObjectStore('blobs', {keyPath: 'id'});
    db.createObjectStore('chunks', {keyPath: ['rec', 'i']});
    db.createObjectStore('recordings', {keyPath: 'id'});
    db.createObjectStore('cases', {keyPath: 'case_id'});
    db.createObjectStore('kv', {keyPath: 'k'});
  };
  q.onerror = () => reject(q.error);
  q.onsuccess = () => {
    const db = q.result;
    const t = db.transaction(['outbox', 'blobs'], 'readwrite');
    const data = new Blob(['jpeg bytes'], {type: 'image/jpeg'});
    const item = (id, seq, state, blob_id) => ({id, seq, type: 'media', case_id: 'c1', label: id,
      state, body: {kind: 'media.photo'}, blob_id, sha256: 'ab'.repeat(32), size: 10, attempts: 1,
      error: null, result: state === 'sent' ? {hash: 'cd'.repeat(32), seq: 3} : null,
      created_at: '2026-12-01T02:00:00Z'});
    t.objectStore('blobs').put({id: 'b-sent', data});
    t.objectStore('blobs').put({id: 'b-waiting', data});
    t.objectStore('outbox').put(item('sent-photo', 1, 'sent', 'b-sent'));
    t.objectStore('outbox').put(item('waiting-photo', 2, 'queued', 'b-waiting'));
    t.oncomplete = () => { db.close(); resolve(); };
    t.onerror = () => reject(t.error);
  };
})"""


def test_an_older_phones_database_is_upgraded_step_by_step_without_losing_unsent_media(
    context: BrowserContext, server: Server
) -> None:
    context.set_offline(False)
    page = context.new_page()
    # A page of the same origin that is not the app, so the app's code has not opened the database yet.
    page.goto("/notices/")
    page.evaluate(MAKE_V1_DATABASE)
    page.goto("/")
    wait_ready(page)
    version = page.evaluate(
        "() => new Promise(r => { const q = indexedDB.open('casetrail'); q.onsuccess = () => r(q.result.version); })"
    )
    upgrades = page.evaluate("import('/js/db.js').then(d => d.UPGRADES.length)")
    assert version == upgrades == 2
    assert sorted(page.evaluate(BLOB_IDS)) == ["b-waiting"]
    items = {i["id"]: i for i in outbox_items(page)}
    assert items["sent-photo"]["blob_id"] is None and items["sent-photo"]["result"]["hash"]
    assert items["waiting-photo"]["blob_id"] == "b-waiting"
