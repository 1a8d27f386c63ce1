// Cases as the officer's device knows them: fetched when online, kept in IndexedDB for offline use,
// plus the agency's rule pack and the record-form schemas they need.
import { ApiError, json } from "./api.js";
import * as db from "./db.js";

export const STAGES = ["start", "investigation", "review_decision", "service", "execution", "archive"];

/** My cases: the server's list when reachable (and remembered), else the remembered list. */
export async function listMine() {
  try {
    const list = await json("/api/cases");
    await db.tx(["cases"], "readwrite", (s) => {
      for (const c of list) s.cases.put({ ...c, cached_at: new Date().toISOString() });
    });
    refreshDetails(list);
  } catch (e) {
    if (!(e instanceof ApiError) || !e.transient) throw e;
  }
  const all = await db.all("cases");
  return all.sort((a, b) => (b.updated_at || "").localeCompare(a.updated_at || ""));
}

// Compliance and next steps come only with the single-case read; fetch them in the background.
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
    const row = { ...c, cached_at: new Date().toISOString() };
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

export const kinds = () => cachedJson("/api/kinds");
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
