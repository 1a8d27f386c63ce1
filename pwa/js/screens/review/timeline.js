// One case for a supervisor: integrity badge, compliance list, GPS plot, and every entry in order
// with who/when/where, media players, strokes, EXIF findings and corrections linked.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { findingName, notableFindings } from "../../findings.js";
import { verifyDetails } from "../../forms/plain.js";
import { isEn, t } from "../../i18n.js";
import { caseMap } from "./case_map.js";
import { player, serverPhoto } from "../../media_view.js";
import { L, directory, enforcementKindName, kindName, loadKindTitles, page, short, signWithPasskey, skew, stageName, statusBadge, when, who, whoWithUnit } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, ...kids) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...kids);
  return el;
};

export const SIGN_MEANINGS = {
  "record.legal_review": "legal_review",
  "record.handler_proposal": "approve",
  "record.emergency_start": "approve",
  "record.case_opening_approval": "approve",
  "record.collective_discussion": "co_sign",
  "retention.batch": "approve_disposal",
  "export.requested": "approve_export",
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
  if (!pts.length) return h("p", { class: "muted" }, L("无位置数据", "No positions recorded"));
  const lats = pts.map((p) => p.lat), lons = pts.map((p) => p.lon);
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const spanLat = Math.max(maxLat - minLat, 0.0005), spanLon = Math.max(maxLon - minLon, 0.0005);
  const x = (lon) => 20 + ((lon - minLon) / spanLon) * 560, y = (lat) => 240 - ((lat - minLat) / spanLat) * 220;
  const plot = svg("svg", { class: "plot", viewBox: "0 0 600 260", role: "img", "aria-label": L("位置图", "Position plot") });
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

// The same thumbnails and players as the officer's screens (media_view.js): one way to ask the server.
export { player };

// Recorder imports are kept by their custody entry, not as media entries: the review API serves them.
// Recorder files are blobs of the cases (or agency timeline) holding them, served with Range like any media.
export const recordingSrc = (sha) => `/api/blobs/${sha}`;

function media(entry) {
  const p = entry.payload, sha = p.sha256;
  if (!sha) return null;
  if (entry.kind === "media.photo") return serverPhoto(sha, p.caption || kindName(entry.kind), "photo");
  if (entry.kind === "media.video") return player(sha, "video/");
  if (entry.kind === "media.audio") return player(sha, "audio/");
  if (entry.kind === "media.signature") return h("div", { class: "row" }, p.strokes ? strokesSvg(p.strokes) : null, h("img", { class: "photo", src: `/api/blobs/${sha}`, alt: "signature", style: "max-height:100px" }));
  // Recorder imports and any other entry holding audio or video: play it here, as the review requires.
  if (entry.kind === "recording.linked") return player(sha, p.media_type || "video/", recordingSrc(sha));
  if (isAv(p.media_type) && (entry.blobs || [sha]).includes(sha)) return player(sha, p.media_type);
  return h("a", { href: `/api/blobs/${sha}`, target: "_blank" }, L("打开文件", "Open file"));
}

const TIME_SOURCES = { container: ["文件内录制时间", "the file's own recording time"], file_name: ["记录仪文件名", "the recorder's file name"], file_modified: ["文件修改时间", "the file's modified time"], none: ["无", "none"] };

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
    row(L("录制时间", "Recorded"), `${when(p.started_at)} — ${when(p.ended_at)}（${L("时长", "duration")} ${duration(p.started_at, p.ended_at)}）`),
    r.time_source ? row(L("时间来源", "Time from"), L(...(TIME_SOURCES[r.time_source] || [r.time_source, r.time_source]))) : null,
    row(L("记录设备", "Recorder"), `${device.number || L("未知", "unknown")}${device.registered === false ? L("（未登记设备）", " (not registered)") : ""}`),
    row(L("执法人员", "Officer"), whoWithUnit(dir, p.officer)),
    row(L("导入", "Imported"), `${when(p.imported_at)} · ${who(dir, r.imported_by)}${r.computer ? ` · ${L("电脑", "computer")} ${r.computer}` : ""}${r.via ? ` · ${r.via === "cli" ? L("命令行导入", "command-line import") : L("网页导入", "browser import")}` : ""}`),
    row(L("文件", "File"), h("span", {}, p.filename, " ", h("span", { class: "mono" }, short(p.sha256)))),
    d ? row(L("上传期限", "Upload deadline"), h("span", {}, `${when(d.deadline)} `,
      d.late ? h("span", { class: "badge bad" }, `${L("逾期", "late by")} ${Math.round(d.late_by_h * 10) / 10} ${L("小时", "h")}`) : h("span", { class: "badge ok" }, L("按期", "on time")),
      d.reason || r.late_reason_text ? ` ${L("原因：", "reason: ")}${r.late_reason_text || d.reason}` : "")) : null,
    row(L("关联方式", "Linked"), `${who(dir, link.actor)} · ${p.proposed ? L("确认系统匹配", "confirmed the proposed match") : L("人工关联", "linked by hand")}`)));
}

function findings(entry) {
  const raw = entry.payload.findings;
  if (!entry.kind.startsWith("media.") || !Array.isArray(raw)) return null; // records use `findings` as text
  const list = notableFindings(raw);
  if (!list.length) return null;
  return h("div", { class: "row" }, L("核验：", "Checks: "), list.map((f) => h("span", { class: "badge warn", dataset: { finding: f.code } }, findingName(f))));
}

async function sign(entry, button) {
  const meaning = SIGN_MEANINGS[entry.kind] || "co_sign";
  button.disabled = true;
  try {
    await signWithPasskey(entry.case_id, entry.hash, meaning);
    toast(L("已用通行密钥签名", "Signed with your passkey"));
    button.replaceWith(h("span", { class: "badge ok" }, L("已签名", "Signed")));
  } catch (e) {
    button.disabled = false;
    toast(e.message, "error");
  }
}

const MEANINGS = { approve: ["审批", "approval"], legal_review: ["法制审核", "legal review"], co_sign: ["会签", "co-signature"], approve_disposal: ["批准销毁", "disposal approval"], approve_export: ["批准导出", "export approval"], attest: ["确认", "attestation"] };
const meaningName = (m) => L(...(MEANINGS[m] || [m, m]));

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
        ? `${L("关联人", "Linked by")} ${who(dir, entry.actor)} · ${L("录制结束", "Recording ended")} ${when(entry.claimed?.time) || "—"} · ${L("服务器", "Server")} ${when(entry.received_at)}`
        : `${L("记录人", "By")} ${who(dir, entry.actor)} · ${L("设备时间", "Device")} ${when(entry.claimed?.time) || "—"} · ${L("服务器", "Server")} ${when(entry.received_at)}`,
      s != null ? h("span", { class: Math.abs(s) > 300 ? "badge bad" : "badge" }, ` ${L("时差", "skew")} ${s}s`) : null,
      geo ? ` · ${geo.lat.toFixed(5)}, ${geo.lon.toFixed(5)} ±${geo.accuracy_m ?? "?"}m` : ""),
    entry.corrects ? h("div", {}, L("更正 ", "Corrects "), h("a", { href: `#entry-${entry.corrects.hash}`, onclick: jump(entry.corrects.hash) }, `#${byHash.get(entry.corrects.hash)?.seq ?? short(entry.corrects.hash)}`), `：${entry.corrects.reason}`) : null,
    correctedBy.has(entry.hash) ? h("div", { class: "badge warn" }, L("已被更正：", "Corrected by "), h("a", { href: `#entry-${correctedBy.get(entry.hash)}`, onclick: jump(correctedBy.get(entry.hash)) }, `#${byHash.get(correctedBy.get(entry.hash))?.seq}`)) : null,
    entry.kind === "signature.passkey" ? h("div", {}, L("签署 ", "Signs "), h("a", { href: `#entry-${entry.payload.signs}`, onclick: jump(entry.payload.signs) }, `#${byHash.get(entry.payload.signs)?.seq ?? short(entry.payload.signs)}`), `（${meaningName(entry.payload.meaning)}）`) : null,
    media(entry),
    isRecording ? custody(entry, recordings.get(entry.payload.sha256), dir) : null,
    findings(entry),
    (entry.payload.signatures || []).length ? h("div", { class: "row" }, entry.payload.signatures.map((g) => h("span", { class: `badge ${g.method === "refused" ? "warn" : ""}` }, `${t(`role.${g.role}`)} ${g.name || ""} ${t(`method.${g.method}`)}${g.refusal_reason ? `（${g.refusal_reason}）` : ""}`))) : null,
    // Codes, hashes and the raw payload are for verifying: one fold, closed.
    verifyDetails([
      [L("记录哈希", "Entry hash"), entry.hash],
      [L("记录类型", "Kind"), entry.kind],
      (entry.payload.findings || []).length && Array.isArray(entry.payload.findings) ? [L("检查结果原文", "Check results"), JSON.stringify(entry.payload.findings)] : null,
      isRecording ? null : h("pre", { class: "mono" }, JSON.stringify(entry.payload, null, 1)),
    ]),
    sigs.length ? h("div", { class: "row" }, sigs.map((g) => h("span", { class: "badge ok" }, `✔ ${who(dir, g.actor)} ${meaningName(g.payload.meaning)}`))) : null,
    SIGN_MEANINGS[entry.kind] && !signedByMe && entry.actor !== me
      ? h("button", { class: "primary sign", onclick: (e) => sign(entry, e.target) }, L("通行密钥审批", "Approve with passkey")) : null);
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
    integrity.ok ? L("✔ 完整：哈希链、包含证明、检查点签名均通过", "✔ Intact: chain, inclusion proof and checkpoint signature verify")
      : L("✘ 完整性校验未通过", "✘ Integrity check failed"));
  // Protection weakened for the whole log (not this case's fault): said in words, never in codes.
  const weakened = [
    integrity.timestamp_outage ? L("⚠ 时间戳服务中断：最近的检查点没有可信时间戳，恢复后会自动补上", "⚠ Time-stamp service down: recent checkpoints carry no trusted time-stamp until it is back") : null,
    integrity.witness_refusals ? L("⚠ 见证方尚未确认最近的检查点，请联系系统管理员", "⚠ A witness has not confirmed the latest checkpoint: tell the system administrator") : null,
  ].filter(Boolean);
  const protection = weakened.length ? h("ul", { id: "protection", class: "warn" }, weakened.map((w) => h("li", {}, w))) : null;
  const compliance = h("ol", { id: "compliance" }, (c.compliance || []).map((r) => h("li", {}, statusBadge(r.status), " ",
    r.entry_hash ? h("a", { href: `#entry-${r.entry_hash}`, onclick: jump(r.entry_hash) }, isEn() ? r.message_en : r.message_zh) : h("span", {}, isEn() ? r.message_en : r.message_zh),
    r.due_at ? h("span", { class: "muted" }, ` ${L("期限", "due")} ${when(r.due_at)}`) : null)));
  const node = page(c.title,
    h("div", { class: "row" }, badge, h("span", { class: "muted" }, `${stageName(c.stage)} · ${enforcementKindName(c.enforcement_kind)} · ${entries.length} ${L("条记录", "entries")} · ${L("检查点", "checkpoint")} ${integrity.tree_size ?? "?"}`)),
    protection,
    h("div", { class: "cols" },
      h("div", { id: "timeline" }, entries.map((e) => entryCard(e, byHash, correctedBy, signaturesOf, ctx))),
      h("aside", {}, h("h2", {}, L("位置", "Positions")), caseMap(id), h("h2", {}, L("合规检查", "Compliance")), compliance,
        h("h2", {}, L("案卷导出", "Dossier export")), exportPanel(id, entries, ctx),
        h("h2", {}, L("复制记录", "Copies of records")), copyPanel(id, entries, ctx))));
  const target = query.get("entry");
  if (target) setTimeout(() => document.getElementById(`entry-${target}`)?.scrollIntoView({ block: "center" }), 50);
  return node;
}

// -- dossier export: request → the approver signs with a passkey → generate → download ---------

async function generate(caseId, permission, box) {
  const made = await json(`/api/cases/${caseId}/dossier`, { method: "POST", body: { client_id: crypto.randomUUID(), approval: permission } });
  box.replaceChildren(downloads(made.pdf_url, made.bundle_url, made.materials, made.pages));
  toast(L("案卷已生成并签章", "Dossier generated and signed"));
}

function downloads(pdfUrl, bundleUrl, materials, pages) {
  return h("div", { class: "downloads" },
    h("a", { class: "button primary", href: pdfUrl, download: "", dataset: { file: "pdf" } }, L("下载案卷 PDF（已签章）", "Download the signed dossier PDF")), " ",
    h("a", { class: "button", href: bundleUrl, download: "", dataset: { file: "bundle" } }, L("下载可验证数据包", "Download the verifiable bundle")),
    materials != null ? h("div", { class: "muted" }, `${materials} ${L("件材料", "materials")} · ${pages} ${L("页", "pages")}`) : null,
    h("div", { class: "muted" }, L("每次下载都记入案件时间线。", "Every download is recorded on the case timeline.")));
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
      e.target.replaceWith(h("p", { class: "badge warn", id: "export-waiting" }, L("导出申请已提交，等待负责人用通行密钥审批。", "Export requested; waiting for the approver's passkey approval.")));
      toast(L("已提交导出申请", "Export requested"));
    } catch (err) {
      button.disabled = false;
      toast(err.message, "error");
    }
  } },
    h("label", {}, L("用途", "Purpose"), h("input", { name: "purpose", required: true, placeholder: L("如：移送法院、档案移交", "e.g. court, archive transfer") })),
    h("label", {}, L("接收单位", "Recipient"), h("input", { name: "recipient", placeholder: L("如：市中级人民法院", "e.g. the intermediate court") })),
    h("button", { class: "primary", type: "submit" }, L("申请导出", "Request export")));
  box.append(
    ...earlier.map((e) => h("div", { class: "earlier" }, h("div", {}, `${when(e.received_at)} · ${who(dir, e.actor)}${e.payload.purpose ? ` · ${e.payload.purpose}` : ""}${e.payload.recipient ? ` → ${e.payload.recipient}` : ""}`),
      downloads(`/api/cases/${caseId}/dossier/${e.payload.pdf_sha256}`, `/api/cases/${caseId}/dossier/${e.payload.bundle_sha256}`, e.payload.materials, e.payload.pages))),
    // append() writes null as the text "null": only what exists goes in.
    ...(waiting.length ? [h("p", { class: "badge warn", id: "export-waiting" }, L("导出申请等待审批", "Export request waiting for approval"))] : []));
  const slot = h("div", {}, L("正在查询导出许可…", "Checking export permission…"));
  box.append(slot);
  json(`/api/cases/${caseId}/exports/permission?scope=export`).then((p) => {
    // One approval makes one export: an approval already used leaves the caller to ask again.
    const used = new Set(earlier.map((e) => e.payload.approval));
    if (p.allowed && !used.has(p.permission)) {
      slot.replaceChildren(h("p", { class: "badge ok" }, `${L("导出已批准，有效至", "Export approved until")} ${when(p.valid_until)}`),
        h("button", { class: "primary", id: "generate-dossier", onclick: async (e) => {
          e.target.disabled = true;
          try { await generate(caseId, p.permission, slot); } catch (err) { e.target.disabled = false; toast(err.message, "error"); }
        } }, L("生成签章案卷", "Generate the signed dossier")));
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
    if (!items.length) return toast(L("请勾选要复制的记录", "Tick the records to copy"), "error");
    button.disabled = true;
    try {
      await json(`/api/cases/${caseId}/exports`, { method: "POST", body: { scope: "copy", items, purpose: data.get("purpose"), recipient: data.get("recipient"), client_id: crypto.randomUUID() } });
      e.target.replaceWith(h("p", { class: "badge warn", id: "copy-waiting" }, L("复制申请已提交，等待负责人用通行密钥审批。", "Copy requested; waiting for the approver's passkey approval.")));
      toast(L("已提交复制申请", "Copy requested"));
    } catch (err) {
      button.disabled = false;
      toast(err.message, "error");
    }
  } },
    h("fieldset", { class: "copy-items" }, h("legend", {}, L("要复制的记录", "Records to copy")),
      copyable.length ? copyable.map((e) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "item", value: e.hash }), recordName(e)))
        : h("p", { class: "muted" }, L("本案还没有可复制的记录。", "This case has no records to copy yet."))),
    h("label", {}, L("复制件交给谁", "Who the copy is for"), h("input", { name: "recipient", required: true, placeholder: L("如：王某（当事人）、市中级人民法院", "e.g. the party, the intermediate court") })),
    h("label", {}, L("用途", "Purpose"), h("input", { name: "purpose", required: true, placeholder: L("如：当事人申请复制", "e.g. the party asked for a copy") })),
    h("button", { class: "primary", type: "submit" }, L("申请复制", "Request a copy")));
  const slot = h("div", {}, L("正在查询复制许可…", "Checking copy permission…"));
  box.append(waiting.length ? h("p", { class: "badge warn", id: "copy-waiting" }, L("复制申请等待审批", "Copy request waiting for approval")) : "", slot);
  json(`/api/cases/${caseId}/exports/permission?scope=copy`).then((p) => {
    if (!p.allowed || !(p.items || []).length) return slot.replaceChildren(waiting.length ? "" : form);
    const names = p.items.map((hash) => (byHash.get(hash) ? recordName(byHash.get(hash)) : L("（记录）", "(record)")));
    slot.replaceChildren(
      h("p", { class: "badge ok", id: "copy-approved" }, L(`已批准复制给${p.recipient}，有效至${when(p.valid_until)}`, `Copy for ${p.recipient} approved until ${when(p.valid_until)}`)),
      h("ul", { class: "copy-approved-items" }, names.map((n) => h("li", {}, n))),
      h("button", { class: "primary", id: "make-copy", onclick: async (e) => {
        e.target.disabled = true;
        try {
          await json(`/api/cases/${caseId}/copies`, { method: "POST", body: { items: p.items, recipient: p.recipient } });
          toast(L("复制已登记在案件时间线上", "The copy is recorded on the case timeline"));
        } catch (err) {
          toast(err.message, "error");
        } finally {
          e.target.disabled = false;
        }
      } }, L("复制并登记", "Copy and record it")));
  }).catch(() => slot.replaceChildren(form));
  return box;
}
