// One case for a supervisor: integrity badge, compliance list, GPS plot, and every entry in order
// with who/when/where, media players, strokes, EXIF findings and corrections linked.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { findingName, notableFindings } from "../../findings.js";
import { verifyDetails } from "../../forms/plain.js";
import { isEn, t, tOr } from "../../i18n.js";
import { caseMap } from "./case_map.js";
import { blobUrl, player, serverPhoto } from "../../media_view.js";
import { short, skew, statusBadge, when } from "./format.js";
import { enforcementKindName, kindName, loadKindTitles, stageName } from "./names.js";
import { page } from "./page.js";
import { directory, who, whoWithUnit } from "./people.js";
import { SIGN_MEANINGS, signWithPasskey } from "./sign.js";

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, ...kids) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...kids);
  return el;
};


async function wholeTimeline(caseId) {
  const entries = [];
  let after = -1;
  for (;;) {
    const pageData = await json(`/api/cases/${caseId}/timeline?after_seq=${after}&limit=1000`);
    entries.push(...pageData.entries);
    if (pageData.next_after_seq == null) return entries;
    after = pageData.next_after_seq;
  }
}

/** GPS points of the entries as an inline SVG plot (no map tiles: works without internet). */
export function gpsPlot(entries) {
  const pts = entries.filter((e) => e.claimed?.geo).map((e) => ({ seq: e.seq, ...e.claimed.geo }));
  if (!pts.length) return h("p", { class: "muted" }, t("review.timeline.no_positions_recorded"));
  const lats = pts.map((p) => p.lat), lons = pts.map((p) => p.lon);
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const spanLat = Math.max(maxLat - minLat, 0.0005), spanLon = Math.max(maxLon - minLon, 0.0005);
  const x = (lon) => 20 + ((lon - minLon) / spanLon) * 560, y = (lat) => 240 - ((lat - minLat) / spanLat) * 220;
  const plot = svg("svg", { class: "plot", viewBox: "0 0 600 260", role: "img", "aria-label": t("review.timeline.position_plot") });
  plot.append(svg("polyline", { points: pts.map((p) => `${x(p.lon)},${y(p.lat)}`).join(" "), fill: "none", stroke: "#8aa", "stroke-dasharray": "4 3" }));
  for (const p of pts) {
    const metres = p.accuracy_m || 0, r = Math.max(3, Math.min(40, (metres / 111000 / spanLat) * 220));
    plot.append(svg("circle", { cx: x(p.lon), cy: y(p.lat), r, fill: "rgba(21,101,192,.12)", stroke: "none" }));
    plot.append(svg("circle", { cx: x(p.lon), cy: y(p.lat), r: 4, fill: "#1565c0" }, svg("title", {}, `#${p.seq} ${p.lat.toFixed(5)}, ${p.lon.toFixed(5)} ±${metres}m`)));
    plot.append(svg("text", { x: x(p.lon) + 6, y: y(p.lat) - 6, "font-size": 11 }, `#${p.seq}`));
  }
  return plot;
}

export function strokesSvg(strokes) {
  const pts = strokes.flat();
  if (!pts.length) return null;
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  const w = Math.max(...xs) - x0 || 1, hgt = Math.max(...ys) - y0 || 1;
  const el = svg("svg", { class: "strokes", viewBox: `0 0 ${w} ${hgt}`, preserveAspectRatio: "xMidYMid meet" });
  for (const s of strokes) {
    for (let i = 1; i < s.length; i++) {
      const pressure = s[i][2] ?? 0.5;
      el.append(svg("line", { x1: s[i - 1][0] - x0, y1: s[i - 1][1] - y0, x2: s[i][0] - x0, y2: s[i][1] - y0,
        stroke: "#1a237e", "stroke-width": Math.max(1, pressure * 4) * (w / 240), "stroke-linecap": "round" }));
    }
  }
  return el;
}

const isAv = (type) => /^(audio|video)\//.test(type || "");


function media(entry) {
  const p = entry.payload, sha = p.sha256;
  if (!sha) return null;
  if (entry.kind === "media.photo") return serverPhoto(sha, p.caption || kindName(entry.kind), "photo");
  if (entry.kind === "media.video") return player(sha, "video/");
  if (entry.kind === "media.audio") return player(sha, "audio/");
  if (entry.kind === "media.signature") return h("div", { class: "row" }, p.strokes ? strokesSvg(p.strokes) : null, h("img", { class: "photo", src: `/api/blobs/${sha}`, alt: "signature", style: "max-height:100px" }));
  // Recorder imports and any other entry holding audio or video: play it here, as the review requires.
  if (entry.kind === "recording.linked") return player(sha, p.media_type || "video/", blobUrl(sha));
  if (isAv(p.media_type) && (entry.blobs || [sha]).includes(sha)) return player(sha, p.media_type);
  return h("a", { href: `/api/blobs/${sha}`, target: "_blank" }, t("review.timeline.open_file"));
}


function duration(a, b) {
  const s = Math.round((new Date(b) - new Date(a)) / 1000);
  if (!Number.isFinite(s) || s < 0) return "—";
  return s >= 3600 ? `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Custody of a recorder file in words: recorded when and on what, handed in by whom, from where, how late. */
export function custody(link, rec, dir) {
  const p = link.payload, r = rec || {};
  const d = p.deadline || r.deadline;
  const device = r.device || { number: p.device };
  const row = (k, v) => h("tr", {}, h("th", {}, k), h("td", {}, v));
  return h("table", { class: "custody" }, h("tbody", {},
    row(t("review.recordings.recorded"), `${when(p.started_at)} — ${when(p.ended_at)}（${t("review.timeline.duration")} ${duration(p.started_at, p.ended_at)}）`),
    r.time_source ? row(t("review.timeline.time_from"), tOr(`review.time_source.${r.time_source}`, r.time_source)) : null,
    row(t("review.timeline.recorder"), `${device.number || t("review.timeline.unknown")}${device.registered === false ? t("review.timeline.not_registered") : ""}`),
    row(t("docs.team.role.officer"), whoWithUnit(dir, p.officer)),
    row(t("review.recordings.imported"), `${when(p.imported_at)} · ${who(dir, r.imported_by)}${r.computer ? ` · ${t("review.timeline.computer")} ${r.computer}` : ""}${r.via ? ` · ${r.via === "cli" ? t("review.timeline.command_line_import") : t("review.timeline.browser_import")}` : ""}`),
    row(t("review.retention.file"), h("span", {}, p.filename, " ", h("span", { class: "mono" }, short(p.sha256)))),
    d ? row(t("review.timeline.upload_deadline"), h("span", {}, `${when(d.deadline)} `,
      d.late ? h("span", { class: "badge bad" }, `${t("review.recordings.late")} ${Math.round(d.late_by_h * 10) / 10} ${t("review.recordings.h")}`) : h("span", { class: "badge ok" }, t("review.timeline.time")),
      d.reason || r.late_reason_text ? ` ${t("review.timeline.reason")}${r.late_reason_text || d.reason}` : "")) : null,
    row(t("review.timeline.linked"), `${who(dir, link.actor)} · ${p.proposed ? t("review.timeline.confirmed_proposed_match") : t("review.timeline.linked_hand")}`)));
}

function findings(entry) {
  const raw = entry.payload.findings;
  if (!entry.kind.startsWith("media.") || !Array.isArray(raw)) return null; // records use `findings` as text
  const list = notableFindings(raw);
  if (!list.length) return null;
  return h("div", { class: "row" }, t("review.timeline.checks"), list.map((f) => h("span", { class: "badge warn", dataset: { finding: f.code } }, findingName(f))));
}

async function sign(entry, button) {
  const meaning = SIGN_MEANINGS[entry.kind] || "co_sign";
  button.disabled = true;
  try {
    await signWithPasskey(entry.hash, meaning);
    toast(t("review.approvals.signed_your_passkey"));
    button.replaceWith(h("span", { class: "badge ok" }, t("docs.tosign.done")));
  } catch (e) {
    button.disabled = false;
    toast(e.message, "error");
  }
}

const meaningName = (m) => tOr(`review.meaning.${m}`, m);

function entryCard(entry, byHash, correctedBy, signaturesOf, ctx) {
  const { dir, me, recordings } = ctx;
  const s = skew(entry);
  const geo = entry.claimed?.geo;
  const sigs = signaturesOf.get(entry.hash) || [];
  const signedByMe = me && sigs.some((g) => g.actor === me);
  const isRecording = entry.kind === "recording.linked";
  return h("article", { class: `card entry${correctedBy.has(entry.hash) ? " corrected" : ""}`, id: `entry-${entry.hash}`, dataset: { kind: entry.kind, seq: entry.seq } },
    h("div", { class: "row" }, h("b", { class: "grow" }, `#${entry.seq} ${kindName(entry.kind)}`)),
    h("div", { class: "muted" },
      isRecording
        ? `${t("review.timeline.linked_by")} ${who(dir, entry.actor)} · ${t("review.timeline.recording_ended")} ${when(entry.claimed?.time) || "—"} · ${t("review.timeline.server")} ${when(entry.received_at)}`
        : `${t("review.timeline.by")} ${who(dir, entry.actor)} · ${t("review.timeline.device")} ${when(entry.claimed?.time) || "—"} · ${t("review.timeline.server")} ${when(entry.received_at)}`,
      s != null ? h("span", { class: Math.abs(s) > 300 ? "badge bad" : "badge" }, ` ${t("review.timeline.skew")} ${s}s`) : null,
      geo ? ` · ${geo.lat.toFixed(5)}, ${geo.lon.toFixed(5)} ±${geo.accuracy_m ?? "?"}m` : ""),
    entry.corrects ? h("div", {}, t("review.timeline.corrects"), h("a", { href: `#entry-${entry.corrects.hash}`, onclick: jump(entry.corrects.hash) }, `#${byHash.get(entry.corrects.hash)?.seq ?? short(entry.corrects.hash)}`), `：${entry.corrects.reason}`) : null,
    correctedBy.has(entry.hash) ? h("div", { class: "badge warn" }, t("review.timeline.corrected"), h("a", { href: `#entry-${correctedBy.get(entry.hash)}`, onclick: jump(correctedBy.get(entry.hash)) }, `#${byHash.get(correctedBy.get(entry.hash))?.seq}`)) : null,
    entry.kind === "signature.passkey" ? h("div", {}, t("review.timeline.signs"), h("a", { href: `#entry-${entry.payload.signs}`, onclick: jump(entry.payload.signs) }, `#${byHash.get(entry.payload.signs)?.seq ?? short(entry.payload.signs)}`), `（${meaningName(entry.payload.meaning)}）`) : null,
    media(entry),
    isRecording ? custody(entry, recordings.get(entry.payload.sha256), dir) : null,
    findings(entry),
    (entry.payload.signatures || []).length ? h("div", { class: "row" }, entry.payload.signatures.map((g) => h("span", { class: `badge ${g.method === "refused" ? "warn" : ""}` }, `${t(`role.${g.role}`)} ${g.name || ""} ${t(`method.${g.method}`)}${g.refusal_reason ? `（${g.refusal_reason}）` : ""}`))) : null,
    // Codes, hashes and the raw payload are for verifying: one fold, closed.
    verifyDetails([
      [t("forms.entry_hash"), entry.hash],
      [t("review.timeline.kind"), entry.kind],
      (entry.payload.findings || []).length && Array.isArray(entry.payload.findings) ? [t("review.timeline.check_results"), JSON.stringify(entry.payload.findings)] : null,
      isRecording ? null : h("pre", { class: "mono" }, JSON.stringify(entry.payload, null, 1)),
    ]),
    sigs.length ? h("div", { class: "row" }, sigs.map((g) => h("span", { class: "badge ok" }, `✔ ${who(dir, g.actor)} ${meaningName(g.payload.meaning)}`))) : null,
    SIGN_MEANINGS[entry.kind] && !signedByMe && entry.actor !== me
      ? h("button", { class: "primary sign", onclick: (e) => sign(entry, e.target) }, t("review.timeline.approve_passkey")) : null);
}

const jump = (hash) => (e) => {
  e.preventDefault();
  document.getElementById(`entry-${hash}`)?.scrollIntoView({ behavior: "smooth", block: "center" });
};

/** The recorder files linked to this case, with their custody (who imported, from which computer). */
async function linkedRecordings(entries) {
  const shas = [...new Set(entries.filter((e) => e.kind === "recording.linked").map((e) => e.payload.sha256))];
  const found = await Promise.all(shas.map((sha) => json(`/api/recordings/${sha}`).then((r) => r.recording).catch(() => null)));
  return new Map(shas.map((sha, i) => [sha, found[i]]));
}

export async function render({ id }, query) {
  const { current } = await import("../../session.js");
  const [c, entries, integrity, dir] = await Promise.all([
    json(`/api/cases/${id}`), wholeTimeline(id), json(`/api/cases/${id}/integrity`).catch((e) => ({ ok: false, problems: [e.message] })),
    directory(),
  ]);
  const [recordings] = await Promise.all([linkedRecordings(entries), loadKindTitles(entries.map((e) => e.kind))]);
  const ctx = { dir, me: current()?.staff_id, recordings };
  const byHash = new Map(entries.map((e) => [e.hash, e]));
  const correctedBy = new Map(entries.filter((e) => e.corrects).map((e) => [e.corrects.hash, e.hash]));
  const signaturesOf = new Map();
  for (const e of entries.filter((x) => x.kind === "signature.passkey")) {
    signaturesOf.set(e.payload.signs, [...(signaturesOf.get(e.payload.signs) || []), e]);
  }
  const badge = h("span", { class: `integrity ${integrity.ok ? "ok" : "bad"}`, id: "integrity", title: (integrity.problems || []).join("\n") },
    integrity.ok ? t("review.timeline.intact_chain_inclusion_proof")
      : t("review.timeline.integrity_check_failed"));
  // Protection weakened for the whole log (not this case's fault): said in words, never in codes.
  const weakened = [
    integrity.timestamp_outage ? t("review.timeline.time_stamp_service_down") : null,
    integrity.witness_refusals ? t("review.timeline.witness_has_not_confirmed") : null,
  ].filter(Boolean);
  const protection = weakened.length ? h("ul", { id: "protection", class: "warn" }, weakened.map((w) => h("li", {}, w))) : null;
  const compliance = h("ol", { id: "compliance" }, (c.compliance || []).map((r) => h("li", {}, statusBadge(r.status), " ",
    r.entry_hash ? h("a", { href: `#entry-${r.entry_hash}`, onclick: jump(r.entry_hash) }, isEn() ? r.message_en : r.message_zh) : h("span", {}, isEn() ? r.message_en : r.message_zh),
    r.due_at ? h("span", { class: "muted" }, ` ${t("review.timeline.due")} ${when(r.due_at)}`) : null)));
  const node = page(c.title,
    h("div", { class: "row" }, badge, h("span", { class: "muted" }, `${stageName(c.stage)} · ${enforcementKindName(c.enforcement_kind)} · ${entries.length} ${t("review.timeline.entries")} · ${t("review.timeline.checkpoint")} ${integrity.tree_size ?? "?"}`)),
    protection,
    h("div", { class: "cols" },
      h("div", { id: "timeline" }, entries.map((e) => entryCard(e, byHash, correctedBy, signaturesOf, ctx))),
      h("aside", {}, h("h2", {}, t("review.timeline.positions")), caseMap(id), h("h2", {}, t("review.timeline.compliance")), compliance,
        h("h2", {}, t("review.timeline.dossier_export")), exportPanel(id, entries, ctx),
        h("h2", {}, t("review.timeline.copies_records")), copyPanel(id, entries, ctx))));
  const target = query.get("entry");
  if (target) setTimeout(() => document.getElementById(`entry-${target}`)?.scrollIntoView({ block: "center" }), 50);
  return node;
}

// -- dossier export: request → the approver signs with a passkey → generate → download ---------

async function generate(caseId, permission, box) {
  const made = await json(`/api/cases/${caseId}/dossier`, { method: "POST", body: { client_id: crypto.randomUUID(), approval: permission } });
  box.replaceChildren(downloads(made.pdf_url, made.bundle_url, made.materials, made.pages));
  toast(t("review.timeline.dossier_generated_signed"));
}

function downloads(pdfUrl, bundleUrl, materials, pages) {
  return h("div", { class: "downloads" },
    h("a", { class: "button primary", href: pdfUrl, download: "", dataset: { file: "pdf" } }, t("review.timeline.download_signed_dossier_pdf")), " ",
    h("a", { class: "button", href: bundleUrl, download: "", dataset: { file: "bundle" } }, t("review.timeline.download_verifiable_bundle")),
    materials != null ? h("div", { class: "muted" }, `${materials} ${t("review.timeline.materials")} · ${pages} ${t("review.timeline.pages")}`) : null,
    h("div", { class: "muted" }, t("review.timeline.every_download_recorded_case")));
}

/** What the caller can do about exporting this case now: ask, wait, generate, or download earlier exports. */
export function exportPanel(caseId, entries, { dir, me }) {
  const box = h("div", { id: "export", class: "card" });
  const approvedRequests = new Set(entries.filter((e) => e.kind === "export.approved").map((e) => e.payload.request));
  const waiting = entries.filter((e) => e.kind === "export.requested" && e.payload.scope === "export" && e.payload.staff_id === me && !approvedRequests.has(e.hash));
  const earlier = entries.filter((e) => e.kind === "access.exported");
  const form = h("form", { class: "request-export", onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(e.target), button = e.target.querySelector("button");
    button.disabled = true;
    try {
      await json(`/api/cases/${caseId}/exports`, { method: "POST", body: { scope: "export", purpose: data.get("purpose"), recipient: data.get("recipient") || null, client_id: crypto.randomUUID() } });
      e.target.replaceWith(h("p", { class: "badge warn", id: "export-waiting" }, t("review.timeline.export_requested_waiting_approver")));
      toast(t("review.timeline.export_requested"));
    } catch (err) {
      button.disabled = false;
      toast(err.message, "error");
    }
  } },
    h("label", {}, t("review.timeline.purpose"), h("input", { name: "purpose", required: true, placeholder: t("review.timeline.e_g_court_archive") })),
    h("label", {}, t("review.timeline.recipient"), h("input", { name: "recipient", placeholder: t("review.timeline.e_g_intermediate_court") })),
    h("button", { class: "primary", type: "submit" }, t("review.timeline.request_export")));
  box.append(
    ...earlier.map((e) => h("div", { class: "earlier" }, h("div", {}, `${when(e.received_at)} · ${who(dir, e.actor)}${e.payload.purpose ? ` · ${e.payload.purpose}` : ""}${e.payload.recipient ? ` → ${e.payload.recipient}` : ""}`),
      downloads(`/api/cases/${caseId}/dossier/${e.payload.pdf_sha256}`, `/api/cases/${caseId}/dossier/${e.payload.bundle_sha256}`, e.payload.materials, e.payload.pages))),
    // append() writes null as the text "null": only what exists goes in.
    ...(waiting.length ? [h("p", { class: "badge warn", id: "export-waiting" }, t("review.timeline.export_request_waiting_approval"))] : []));
  const slot = h("div", {}, t("review.timeline.checking_export_permission"));
  box.append(slot);
  json(`/api/cases/${caseId}/exports/permission?scope=export`).then((p) => {
    // One approval makes one export: an approval already used leaves the caller to ask again.
    const used = new Set(earlier.map((e) => e.payload.approval));
    if (p.allowed && !used.has(p.permission)) {
      slot.replaceChildren(h("p", { class: "badge ok" }, `${t("review.timeline.export_approved_until")} ${when(p.valid_until)}`),
        h("button", { class: "primary", id: "generate-dossier", onclick: async (e) => {
          e.target.disabled = true;
          try { await generate(caseId, p.permission, slot); } catch (err) { e.target.disabled = false; toast(err.message, "error"); }
        } }, t("review.timeline.generate_signed_dossier")));
    } else {
      slot.replaceChildren(waiting.length ? "" : form);
    }
  }).catch(() => slot.replaceChildren(form));
  return box;
}

// -- copies: name the records and who the copy is for → the approver signs → copy exactly that ----

const COPYABLE = /^(record\.|media\.|document\.|note$)/;
const recordName = (e) => `${kindName(e.kind)}（${when(e.received_at)}）`;

/** Ask to copy chosen records for a named recipient; once approved, copy exactly those, logged. */
export function copyPanel(caseId, entries, { me }) {
  const box = h("div", { id: "copies", class: "card" });
  const byHash = new Map(entries.map((e) => [e.hash, e]));
  const approvedRequests = new Set(entries.filter((e) => e.kind === "export.approved").map((e) => e.payload.request));
  const waiting = entries.filter((e) => e.kind === "export.requested" && e.payload.scope === "copy" && e.payload.staff_id === me && !approvedRequests.has(e.hash));
  const copyable = entries.filter((e) => COPYABLE.test(e.kind));
  const form = h("form", { class: "request-copy", onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(e.target), button = e.target.querySelector("button[type=submit]");
    const items = data.getAll("item");
    if (!items.length) return toast(t("review.timeline.tick_records_copy"), "error");
    button.disabled = true;
    try {
      await json(`/api/cases/${caseId}/exports`, { method: "POST", body: { scope: "copy", items, purpose: data.get("purpose"), recipient: data.get("recipient"), client_id: crypto.randomUUID() } });
      e.target.replaceWith(h("p", { class: "badge warn", id: "copy-waiting" }, t("review.timeline.copy_requested_waiting_approver")));
      toast(t("review.timeline.copy_requested"));
    } catch (err) {
      button.disabled = false;
      toast(err.message, "error");
    }
  } },
    h("fieldset", { class: "copy-items" }, h("legend", {}, t("review.timeline.records_copy")),
      copyable.length ? copyable.map((e) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "item", value: e.hash }), recordName(e)))
        : h("p", { class: "muted" }, t("review.timeline.case_has_no_records"))),
    h("label", {}, t("review.timeline.who_copy"), h("input", { name: "recipient", required: true, placeholder: t("review.timeline.e_g_party_intermediate") })),
    h("label", {}, t("review.timeline.purpose"), h("input", { name: "purpose", required: true, placeholder: t("review.timeline.e_g_party_asked") })),
    h("button", { class: "primary", type: "submit" }, t("review.timeline.request_copy")));
  const slot = h("div", {}, t("review.timeline.checking_copy_permission"));
  box.append(waiting.length ? h("p", { class: "badge warn", id: "copy-waiting" }, t("review.timeline.copy_request_waiting_approval")) : "", slot);
  json(`/api/cases/${caseId}/exports/permission?scope=copy`).then((p) => {
    if (!p.allowed || !(p.items || []).length) return slot.replaceChildren(waiting.length ? "" : form);
    const names = p.items.map((hash) => (byHash.get(hash) ? recordName(byHash.get(hash)) : t("review.timeline.record")));
    slot.replaceChildren(
      h("p", { class: "badge ok", id: "copy-approved" }, t("review.timeline.copy_approved", { recipient: p.recipient, until: when(p.valid_until) })),
      h("ul", { class: "copy-approved-items" }, names.map((n) => h("li", {}, n))),
      h("button", { class: "primary", id: "make-copy", onclick: async (e) => {
        e.target.disabled = true;
        try {
          await json(`/api/cases/${caseId}/copies`, { method: "POST", body: { items: p.items, recipient: p.recipient } });
          toast(t("review.timeline.copy_recorded_case_timeline"));
        } catch (err) {
          toast(err.message, "error");
        } finally {
          e.target.disabled = false;
        }
      } }, t("review.timeline.copy_record")));
  }).catch(() => slot.replaceChildren(form));
  return box;
}
