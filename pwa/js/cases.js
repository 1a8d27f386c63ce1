// Cases as the officer's device knows them: fetched when online, kept in IndexedDB for offline use,
// plus the agency's rule pack and the record-form schemas they need.
import { ApiError, json } from "./api.js";
import * as db from "./db.js";

export const STAGES = ["start", "investigation", "review_decision", "service", "execution", "archive"];

/**
 * My cases with what each needs next: the server's list when reachable, merged into the device's
 * copies (a list row never wipes the compliance a case read left there), else the device's copies.
 */
export async function listMine() {
  try {
    const list = await json("/api/cases?with=next");
    const stale = await db.tx(["cases"], "readwrite", async (s) => {
      const changed = [];
      for (const c of list) {
        const kept = await db.req(s.cases.get(c.case_id));
        // The full compliance list is only as fresh as the last case read; re-read it when the case moved on.
        if (!kept || kept.detail_seq !== c.last_seq) changed.push(c);
        s.cases.put({ ...merge(kept, c), local: false, cached_at: new Date().toISOString() });
      }
      return changed;
    });
    refreshDetails(stale);
  } catch (e) {
    if (!(e instanceof ApiError) || !e.transient) throw e;
  }
  return listKept();
}

/** My cases as this device last knew them, newest first (no network: the home screen draws these first). */
export async function listKept() {
  const all = await db.all("cases");
  return all.sort((a, b) => (b.updated_at || "").localeCompare(a.updated_at || ""));
}

/** `fresh` over `kept`, except where `fresh` says nothing (null): a summary never erases details. */
export function merge(kept, fresh) {
  const out = { ...(kept || {}) };
  for (const [k, v] of Object.entries(fresh)) if (v != null) out[k] = v;
  return out;
}

// The case page needs the full compliance list offline; fetch it in the background for changed cases.
async function refreshDetails(list) {
  for (const c of list) {
    try {
      await getCase(c.case_id);
    } catch {
      return;
    }
  }
}

export async function getCase(caseId) {
  try {
    const c = await json(`/api/cases/${encodeURIComponent(caseId)}`);
    const row = { ...c, local: false, detail_seq: c.last_seq, cached_at: new Date().toISOString() };
    await db.put("cases", row);
    return row;
  } catch (e) {
    const cached = await db.get("cases", caseId);
    // A case made on this device stays readable from the device until the server has all of it.
    if (cached && (cached.local || !(e instanceof ApiError) || e.transient || e.status === 404)) return cached;
    throw e;
  }
}

/** Read through the service worker's data cache, and keep a copy in IndexedDB as the last resort. */
async function cachedJson(url) {
  try {
    const res = await fetch(url);
    if (!res.ok) throw new ApiError(res.status, null);
    const data = await res.json();
    db.kvSet(`url:${url}`, data);
    return data;
  } catch (e) {
    const kept = await db.kvGet(`url:${url}`);
    if (kept) return kept;
    throw e;
  }
}

// One read per page: every schema lookup needs the kinds' versions, and a pack has dozens of forms.
let kindsRead = null;
export function kinds() {
  kindsRead ||= cachedJson("/api/kinds").catch((e) => {
    kindsRead = null;
    throw e;
  });
  return kindsRead;
}
export const pack = (packId) => cachedJson(`/shared/rules/${encodeURIComponent(packId)}.json`);

export async function schema(kind) {
  const versions = await kinds();
  return cachedJson(`/shared/schemas/kinds/${kind}.v${versions[kind] || 1}.json`);
}

export const packIdOf = (c, me) => c.rule_pack || me?.rule_pack || c.agency_id || me?.agency_id;

/** Make every record form of the pack available offline (called once signed in and online). */
export async function prefetch(packId) {
  const p = await pack(packId);
  const wanted = new Set(["case.opened"]);
  for (const step of Object.values(p.steps)) step.any_of.forEach((k) => wanted.add(k));
  await Promise.all([...wanted].map((k) => schema(k).catch(() => null)));
  return p;
}

function workflow(p, kind, procedure) {
  return p.workflows.find((w) => w.enforcement_kinds.includes(kind) && w.procedures.includes(procedure));
}

/** The pack's steps for this case in workflow order (mirrors backend/cases/stages.required_steps). */
export function requiredSteps(p, c) {
  const flow = workflow(p, c.enforcement_kind, c.procedure);
  if (!flow) return [];
  return flow.steps
    .map((id) => ({ id, ...p.steps[id] }))
    .filter((s) => !s.start_paths || s.start_paths.includes(c.start_path));
}

/** Which media the pack requires on AV for a record kind (empty when none). */
export function avFor(p, kind) {
  return p.av_matters.filter((m) => m.record_kinds.includes(kind));
}

/** The signature rule for a record kind: roles, minimum officers. */
export function signaturesFor(p, kind) {
  return (p.signatures?.rules || []).find((r) => r.record_kinds.includes(kind)) || null;
}

/**
 * What a case needs next: the server's answer once it has the case, else the pack's steps of the
 * earliest stage (from the case's own) that nothing recorded on this device covers yet
 * (mirrors backend/cases/stages.next_steps for cases not yet on the server).
 */
export function nextStepsOf(p, c, localKinds = new Set()) {
  const steps = p ? requiredSteps(p, c) : [];
  // A step counts as done once any of its kinds is recorded here, even before the server has it.
  const done = (k) => localKinds.has(k) || steps.some((s) => s.any_of.includes(k) && s.any_of.some((x) => localKinds.has(x)));
  if (!c.local && c.next_steps) return c.next_steps.filter((k) => !done(k));
  if (!p) return c.next_steps || [];
  for (const stage of STAGES.slice(Math.max(0, STAGES.indexOf(c.stage)))) {
    const needed = steps.filter((s) => s.stage === stage && !s.any_of.some((k) => localKinds.has(k)));
    if (needed.length) return [...new Set(needed.flatMap((s) => s.any_of))];
  }
  return [];
}

/** The pack's step titles for record kinds (one title for a step any of several kinds satisfies). */
export function stepsFor(p, c, kinds) {
  const wanted = new Set(kinds);
  const steps = p ? requiredSteps(p, c).filter((s) => s.any_of.some((k) => wanted.has(k))) : [];
  const covered = new Set(steps.flatMap((s) => s.any_of));
  return [...steps, ...kinds.filter((k) => !covered.has(k)).map((k) => ({ id: k, title_zh: k, any_of: [k] }))];
}

/** The stage the officer sees: the server's, or a later one already queued on this device. */
export function stageOf(c, items = []) {
  let at = Math.max(0, STAGES.indexOf(c.stage));
  for (const i of items) {
    if (i.type === "entry" && i.body.kind === "case.stage" && i.state !== "rejected") {
      at = Math.max(at, STAGES.indexOf(i.body.payload.stage));
    }
  }
  return STAGES[at];
}
