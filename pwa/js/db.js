// IndexedDB stores of the officer app: outbox items, blobs (apart from records), recording chunks,
// cached cases and small key/values. One database, opened once, upgraded version by version.
const NAME = "casetrail";
let opening = null;

export class StorageFullError extends Error {
  constructor(cause) {
    super("storage_full");
    this.cause = cause;
  }
}

/**
 * How the database got to each version: step N takes a device's database from version N to N+1, inside the
 * upgrade transaction. A device that skipped releases runs every step it missed, in order. Steps that shipped
 * are never changed (a device already past them would never see the change): append a new one instead.
 */
export const UPGRADES = [
  // 0 -> 1: outbox items, blobs apart from records, recording chunks, cached cases, small key/values.
  (db) => {
    const outbox = db.createObjectStore("outbox", { keyPath: "id" });
    outbox.createIndex("seq", "seq", { unique: true });
    db.createObjectStore("blobs", { keyPath: "id" });
    db.createObjectStore("chunks", { keyPath: ["rec", "i"] });
    db.createObjectStore("recordings", { keyPath: "id" });
    db.createObjectStore("cases", { keyPath: "case_id" });
    db.createObjectStore("kv", { keyPath: "k" });
  },
  // 1 -> 2: media the server has acknowledged leaves the device; its outbox item stays as the index.
  (db, t) => {
    const outbox = t.objectStore("outbox");
    outbox.createIndex("blob_id", "blob_id");
    const blobs = t.objectStore("blobs");
    outbox.openCursor().onsuccess = (e) => {
      const cursor = e.target.result;
      if (!cursor) return;
      const item = cursor.value;
      if (item.type === "media" && item.state === "sent" && item.blob_id) {
        blobs.delete(item.blob_id);
        cursor.update(releasedMedia(item));
      }
      cursor.continue();
    };
  },
];
export const VERSION = UPGRADES.length;

/** An acknowledged media item without its bytes: what it was, when it was sent, the server's entry hash. */
export function releasedMedia(item) {
  return { ...item, blob_id: null, released_at: new Date().toISOString() };
}

export function open() {
  opening ||= new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = (e) => {
      for (let v = e.oldVersion; v < VERSION; v++) UPGRADES[v](req.result, req.transaction);
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab holding an older version open must not block this one's upgrade: it lets go and
      // reloads onto the new code (its service worker already serves it).
      db.onversionchange = () => {
        db.close();
        opening = null;
        if (typeof location !== "undefined") location.reload();
      };
      resolve(db);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => console.warn("database upgrade waits for another tab of the app to close");
  });
  return opening;
}

function quotaAware(error) {
  return error && (error.name === "QuotaExceededError" || /quota/i.test(error.message || ""))
    ? new StorageFullError(error)
    : error;
}

/** Run `work(stores)` in one transaction over `names`; resolves with work's result once committed. */
export async function tx(names, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode, { durability: "strict" });
    const stores = Object.fromEntries(names.map((n) => [n, t.objectStore(n)]));
    let result;
    t.oncomplete = () => resolve(result);
    t.onabort = t.onerror = () => reject(quotaAware(t.error));
    Promise.resolve(work(stores)).then((r) => (result = r), (e) => { t.abort(); reject(quotaAware(e)); });
  });
}

export function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(quotaAware(request.error));
  });
}

export const get = (store, key) => tx([store], "readonly", (s) => req(s[store].get(key)));
export const all = (store, query) => tx([store], "readonly", (s) => req(s[store].getAll(query)));
export const put = (store, value) => tx([store], "readwrite", (s) => req(s[store].put(value)));
export const del = (store, key) => tx([store], "readwrite", (s) => req(s[store].delete(key)));

export async function kvGet(k, fallback = null) {
  const row = await get("kv", k);
  return row ? row.v : fallback;
}
export const kvSet = (k, v) => put("kv", { k, v });
