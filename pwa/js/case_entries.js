// A case's timeline entries for pickers (which document was served, which record a photo belongs to),
// read from the server when online and remembered on the device for offline forms.
import { ApiError, json } from "./api.js";
import * as db from "./db.js";
import { isEn } from "./i18n.js";

const PAGE = 1000;

async function fetchAll(caseId) {
  const out = [];
  let after = -1;
  for (;;) {
    const page = await json(`/api/cases/${encodeURIComponent(caseId)}/timeline?after_seq=${after}&limit=${PAGE}`);
    out.push(...page.entries);
    if (page.next_after_seq == null || !page.entries.length) return out;
    after = page.next_after_seq;
  }
}

// One screen asks for several kinds at once; they share one read of the timeline.
const REUSE_MS = 2000;
const recent = new Map();

// ... but a new screen reads afresh: what another screen read a moment ago may predate what was just
// made elsewhere (another phone, the desk), and the officer expects the screen they open to be current.
addEventListener("hashchange", () => recent.clear());

/** The next read goes to the server (something was just added to the case). */
export const forget = (caseId) => recent.delete(caseId);

/** Every entry of the case (server copy, or the last one seen when offline). */
export function timeline(caseId) {
  const kept = recent.get(caseId);
  if (kept && Date.now() - kept.at < REUSE_MS) return kept.read;
  const read = readTimeline(caseId);
  recent.set(caseId, { at: Date.now(), read });
  return read;
}

async function readTimeline(caseId) {
  const key = `timeline:${caseId}`;
  try {
    const entries = await fetchAll(caseId);
    db.kvSet(key, entries.map(({ hash, kind, seq, received_at, payload, blobs }) => ({ hash, kind, seq, received_at, payload, blobs })));
    return entries;
  } catch (e) {
    if (e instanceof ApiError && !e.transient && e.status !== 404) throw e;
    return (await db.kvGet(key)) || [];
  }
}

/** `kinds` may end in `*` (e.g. "record.*"); no kinds means any. */
export function matches(kind, kinds) {
  if (!kinds?.length) return true;
  return kinds.some((k) => (k.endsWith("*") ? kind.startsWith(k.slice(0, -1)) : kind === k));
}

export async function entriesOf(caseId, kinds) {
  return (await timeline(caseId)).filter((e) => matches(e.kind, kinds) && !e.corrects);
}

/** A short human label: what the entry is called, its number, when, and the start of its hash. */
export function entryLabel(e, kindTitle = e.kind) {
  const p = e.payload || {};
  const name = p.title || p.document_name || p.caption || p.number || p.text || "";
  const when = e.received_at ? new Date(e.received_at).toLocaleString(isEn() ? "en-GB" : "zh-CN") : "";
  return [kindTitle, name && String(name).slice(0, 40), p.number && p.number !== name ? p.number : "", when, e.hash.slice(0, 8)].filter(Boolean).join(" · ");
}
