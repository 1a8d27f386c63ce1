// The offline outbox: every case, entry and blob waits here with its client UUID until the server
// acknowledges it. One item at a time, in creation order, with exponential backoff; nothing is removed
// locally before the acknowledgement (then media bytes are), and a state change is written before and after
// every attempt.
import { ApiError, json } from "./api.js";
import * as db from "./db.js";
import { sha256Hex } from "./hash.js";
import { measureClockOffset } from "./stamps.js";
import * as tus from "./tus.js";

export const STATES = ["draft", "queued", "sending", "sent", "rejected"];
const MAX_DELAY_MS = 60_000;
const TIMER_MS = 30_000;
export const events = new EventTarget();
let running = null;
let failures = 0;
let retryTimer = null;
let lastSeq = 0;

const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));

export function nextSeq() {
  // Creation order survives reloads because it is based on the clock, and stays unique within a ms.
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

/** Keep a blob on the device: its bytes unchanged, with their SHA-256. */
export async function keepBlob(data, { media_type, filename }) {
  const sha256 = await sha256Hex(data);
  const blob = { id: crypto.randomUUID(), sha256, media_type: media_type || data.type, filename, size: data.size, data };
  await db.put("blobs", blob);
  return blob;
}

/**
 * Add an item. `type` is "case" (POST /api/cases), "entry" (POST .../entries) or "media" (tus upload then
 * POST .../media). `body` is the request body; its `client_id` is the item id.
 */
export async function enqueue(spec) {
  const item = newItem(spec);
  await db.put("outbox", item);
  emit("change", item);
  if (item.state === "queued") kick();
  return item;
}

/** An outbox item not yet stored, for callers that must store it in their own transaction. */
export function newItem({ type, case_id, label, body, blob = null, state = "queued", id }) {
  const item = {
    id: id || body.client_id || crypto.randomUUID(),
    seq: nextSeq(),
    type,
    case_id,
    label,
    state,
    body: { ...body, client_id: id || body.client_id },
    blob_id: blob?.id || null,
    sha256: blob?.sha256 || null,
    size: blob?.size || 0,
    upload_url: null,
    attempts: 0,
    error: null,
    result: null,
    created_at: new Date().toISOString(),
  };
  item.body.client_id = item.id;
  return item;
}

export const changed = (item) => emit("change", item);

export async function update(item, changes) {
  Object.assign(item, changes);
  await db.put("outbox", item);
  emit("change", item);
  return item;
}

export const items = async () => (await db.all("outbox")).sort((a, b) => a.seq - b.seq);
export const unsent = async () => (await items()).filter((i) => i.state !== "sent");

async function sendCase(item) {
  const out = await json("/api/cases", { method: "POST", body: item.body });
  await db.put("cases", { ...out, cached_at: new Date().toISOString() });
  return { case_id: out.case_id, number: out.number };
}

/**
 * Where an entry of each kind is posted, under /api/cases/<id>/: a kind by its full name, or a family by its
 * prefix ("av."). Recording-session steps and the party's consent go through their own endpoints, which check
 * them; every other kind goes to entries.
 */
export const ENTRY_ENDPOINTS = {
  "av.": "av-sessions/steps",
  "service.consent": "service/consent",
};

export const endpointOf = (kind) => ENTRY_ENDPOINTS[kind] ?? ENTRY_ENDPOINTS[`${kind.split(".")[0]}.`] ?? "entries";

async function sendEntry(item) {
  const path = endpointOf(item.body.kind);
  const e = await json(`/api/cases/${encodeURIComponent(item.case_id)}/${path}`, { method: "POST", body: item.body });
  // The log's signed promise stays with the sent item: proof, kept on the phone, that the entry was taken in.
  return { hash: e.hash, seq: e.seq, promise: e.promise ?? null };
}

async function sendMedia(item) {
  const blob = await db.get("blobs", item.blob_id);
  if (!blob) throw new ApiError(410, { code: "blob_missing", message: "blob is not on this device" });
  try {
    return await uploadAndFinalise(item, blob);
  } catch (e) {
    // The server lost the upload, or a crash spoilt its bytes (they no longer hash as declared):
    // this device still holds them, checked when they were kept, so they are sent once more.
    if (!(e instanceof ApiError) || !["upload_not_found", "blob_hash_mismatch"].includes(e.code)) throw e;
    await update(item, { upload_url: null });
    return await uploadAndFinalise(item, blob);
  }
}

async function uploadAndFinalise(item, blob) {
  let url = item.upload_url;
  let at = url ? await tus.offset(url) : null;
  if (at === null) {
    const made = await tus.create(
      blob.size,
      {
        sha256: blob.sha256,
        media_type: blob.media_type,
        kind: item.body.kind,
        case_id: item.case_id,
        client_id: item.id,
        filename: blob.filename || item.id,
      },
      tus.firstChunk(blob.data),
    );
    ({ url, offset: at } = made);
    await update(item, { upload_url: url });
    emit("progress", { id: item.id, sent: at, size: blob.size });
  }
  await tus.send(url, blob.data, at, (sent) => emit("progress", { id: item.id, sent, size: blob.size }));
  const e = await json(`/api/cases/${encodeURIComponent(item.case_id)}/media`, { method: "POST", body: item.body });
  return { hash: e.hash, seq: e.seq, findings: e.payload?.findings ?? null, promise: e.promise ?? null };
}

const SENDERS = { case: sendCase, entry: sendEntry, media: sendMedia };

/**
 * The server has the item. A media item's bytes leave the device in the same transaction (field phones
 * fill up with a shift's photos); the item stays as their index: what, when, the entry's hash. Bytes
 * another unsent item still names stay.
 */
async function acknowledge(item, changes) {
  Object.assign(item, changes);
  if (item.type === "media" && item.blob_id) {
    const blobId = item.blob_id;
    Object.assign(item, db.releasedMedia(item));
    await db.tx(["outbox", "blobs"], "readwrite", async (s) => {
      const users = await db.req(s.outbox.index("blob_id").getAll(blobId));
      if (!users.some((o) => o.id !== item.id && o.state !== "sent")) s.blobs.delete(blobId);
      s.outbox.put(item);
    });
  } else {
    await db.put("outbox", item);
  }
  emit("change", item);
  return item;
}

/** What the device holds: bytes waiting to be sent, and media sent and removed (kept only as an index). */
export async function storageUse() {
  const list = await items();
  const waiting = list.filter((i) => i.type === "media" && i.state !== "sent");
  const released = list.filter((i) => i.type === "media" && i.state === "sent" && !i.blob_id);
  return {
    waiting: waiting.length,
    waiting_bytes: waiting.reduce((n, i) => n + (i.size || 0), 0),
    released: released.length,
    released_bytes: released.reduce((n, i) => n + (i.size || 0), 0),
  };
}

/** An entry of a case opened on this device waits until that case exists on the server. */
function waitsFor(item, list) {
  return list.find(
    (o) => o.type === "case" && o.case_id === item.case_id && o.seq < item.seq && o.state !== "sent",
  );
}

async function drain() {
  try {
    await measureClockOffset();
  } catch {
    // Offline: the last measured offset stays in the stamps.
  }
  for (;;) {
    const list = await items();
    const pending = list.filter((i) => i.state === "queued" || i.state === "sending");
    const next = pending.find((i) => !waitsFor(i, list));
    if (!next) return;
    await update(next, { state: "sending", attempts: next.attempts + 1 });
    try {
      const result = await SENDERS[next.type](next);
      await acknowledge(next, { state: "sent", result, error: null, sent_at: new Date().toISOString() });
      failures = 0;
    } catch (e) {
      const error = { code: e.code || e.name, message: e.message, status: e.status ?? null };
      if (!(e instanceof ApiError) || e.transient || e.status === 401 || e.status === 403) {
        await update(next, { state: "queued", error });
        if (e.status === 401) emit("signin-needed", error);
        throw e;
      }
      // The server refused this item for what it is: keep it and show it, and go on with the rest.
      await update(next, { state: "rejected", error });
    }
  }
}

/** Start a sync pass unless one is running; on failure retry after an exponential, jittered delay. */
export function kick() {
  if (running) return running;
  clearTimeout(retryTimer);
  retryTimer = null;
  running = drain()
    .then(() => emit("idle"))
    .catch(() => {
      failures += 1;
      const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** (failures - 1)) * (0.75 + Math.random() / 2);
      retryTimer = setTimeout(kick, delay);
      emit("backoff", { delay, failures });
    })
    .finally(() => {
      running = null;
    });
  return running;
}

export async function retry(item) {
  await update(item, { state: "queued", error: null });
  failures = 0;
  kick();
}

/**
 * A refused record goes back to being a draft of its step, to be corrected and queued again. It keeps its
 * client id: the server stored nothing of a refused item, so the corrected one is the same item, not a copy.
 */
export async function reopen(item) {
  await update(item, { state: "draft", refused: item.error, error: null });
}

/**
 * Remove an item the server refused (a case takes with it everything waiting on this device for it, and its
 * copy on the device): nothing of it was stored, so nothing is lost that the server had.
 */
export async function discard(item) {
  if (!["rejected", "draft"].includes(item.state)) throw new Error("only a refused item or a draft is discarded");
  const list = await items();
  const gone = item.type === "case" ? list.filter((i) => i.case_id === item.case_id && i.state !== "sent") : [item];
  for (const i of gone) {
    await db.del("outbox", i.id);
    if (i.blob_id) await db.del("blobs", i.blob_id);
  }
  if (item.type === "case") await db.del("cases", item.case_id);
  emit("change", { ...item, state: "discarded" });
}

export async function start() {
  // A crash while sending leaves "sending": resending is safe because the server is idempotent on client_id.
  for (const i of await items()) if (i.state === "sending") await update(i, { state: "queued" });
  if (navigator.storage?.persist) navigator.storage.persist().then((ok) => emit("persisted", ok));
  addEventListener("online", () => {
    failures = 0;
    kick();
  });
  setInterval(() => retryTimer || kick(), TIMER_MS);
  navigator.serviceWorker?.addEventListener("message", (e) => e.data?.type === "sync" && kick());
  navigator.serviceWorker?.ready.then((reg) => reg.sync?.register("outbox").catch(() => {}));
  kick();
}

/** Ask the browser for a Background Sync when it has one, so a closed app still gets a nudge. */
export function requestBackgroundSync() {
  navigator.serviceWorker?.ready.then((reg) => reg.sync?.register("outbox").catch(() => {}));
}

