// IndexedDB stores of the officer app: outbox items, blobs (apart from records), recording chunks,
// cached cases and small key/values. One database, opened once.
const NAME = "casetrail";
const VERSION = 1;
let opening = null;

export class StorageFullError extends Error {
  constructor(cause) {
    super("storage_full");
    this.cause = cause;
  }
}

function upgrade(db) {
  const outbox = db.createObjectStore("outbox", { keyPath: "id" });
  outbox.createIndex("seq", "seq", { unique: true });
  db.createObjectStore("blobs", { keyPath: "id" });
  db.createObjectStore("chunks", { keyPath: ["rec", "i"] });
  db.createObjectStore("recordings", { keyPath: "id" });
  db.createObjectStore("cases", { keyPath: "case_id" });
  db.createObjectStore("kv", { keyPath: "k" });
}

export function open() {
  opening ||= new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => upgrade(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
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
