// One case for a supervisor: integrity badge, compliance list, GPS plot, and every entry in order
// with who/when/where, media players, strokes, EXIF findings and corrections linked.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { isEn } from "../../i18n.js";
import { L, page, short, signWithPasskey, skew, statusBadge, when } from "./common.js";

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

function media(entry) {
  const p = entry.payload, sha = p.sha256;
  if (!sha) return null;
  if (entry.kind === "media.photo") return h("a", { href: `/api/blobs/${sha}`, target: "_blank" }, h("img", { class: "photo", src: `/api/blobs/${sha}?variant=thumbnail`, alt: p.caption || "photo", loading: "lazy" }));
  if (entry.kind === "media.video") return h("video", { controls: true, preload: "metadata", src: `/api/blobs/${sha}`, dataset: { sha } });
  if (entry.kind === "media.audio") return h("audio", { controls: true, preload: "metadata", src: `/api/blobs/${sha}`, dataset: { sha } });
  if (entry.kind === "media.signature") return h("div", { class: "row" }, p.strokes ? strokesSvg(p.strokes) : null, h("img", { class: "photo", src: `/api/blobs/${sha}`, alt: "signature", style: "max-height:100px" }));
  return h("a", { href: `/api/blobs/${sha}`, target: "_blank" }, L("打开文件", "Open file"));
}

function findings(entry) {
  const raw = entry.payload.findings;
  if (!entry.kind.startsWith("media.") || !Array.isArray(raw)) return null; // records use `findings` as text
  const list = raw.filter((f) => f && f.code && f.code !== "consistent");
  if (!list.length) return null;
  return h("div", { class: "row" }, L("核验：", "Checks: "), list.map((f) => h("span", { class: "badge warn", title: JSON.stringify(f.detail || {}) }, f.code)));
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

function entryCard(entry, byHash, correctedBy, signaturesOf) {
  const s = skew(entry);
  const geo = entry.claimed?.geo;
  const sigs = signaturesOf.get(entry.hash) || [];
  return h("article", { class: `card entry${correctedBy.has(entry.hash) ? " corrected" : ""}`, id: `entry-${entry.hash}`, dataset: { kind: entry.kind, seq: entry.seq } },
    h("div", { class: "row" }, h("b", { class: "grow" }, `#${entry.seq} ${entry.kind}`), h("span", { class: "mono" }, short(entry.hash))),
    h("div", { class: "muted" },
      `${L("记录人", "By")} ${entry.actor || "—"} · ${L("设备时间", "Device")} ${when(entry.claimed?.time) || "—"} · ${L("服务器", "Server")} ${when(entry.received_at)}`,
      s != null ? h("span", { class: Math.abs(s) > 300 ? "badge bad" : "badge" }, ` ${L("时差", "skew")} ${s}s`) : null,
      geo ? ` · ${geo.lat.toFixed(5)}, ${geo.lon.toFixed(5)} ±${geo.accuracy_m ?? "?"}m` : ""),
    entry.corrects ? h("div", {}, L("更正 ", "Corrects "), h("a", { href: `#entry-${entry.corrects.hash}`, onclick: jump(entry.corrects.hash) }, `#${byHash.get(entry.corrects.hash)?.seq ?? short(entry.corrects.hash)}`), `：${entry.corrects.reason}`) : null,
    correctedBy.has(entry.hash) ? h("div", { class: "badge warn" }, L("已被更正：", "Corrected by "), h("a", { href: `#entry-${correctedBy.get(entry.hash)}`, onclick: jump(correctedBy.get(entry.hash)) }, `#${byHash.get(correctedBy.get(entry.hash))?.seq}`)) : null,
    entry.kind === "signature.passkey" ? h("div", {}, L("签署 ", "Signs "), h("a", { href: `#entry-${entry.payload.signs}`, onclick: jump(entry.payload.signs) }, `#${byHash.get(entry.payload.signs)?.seq ?? short(entry.payload.signs)}`), ` (${entry.payload.meaning})`) : null,
    media(entry),
    findings(entry),
    (entry.payload.signatures || []).length ? h("div", { class: "row" }, entry.payload.signatures.map((g) => h("span", { class: `badge ${g.method === "refused" ? "warn" : ""}` }, `${g.role} ${g.name || ""} ${g.method}${g.refusal_reason ? `（${g.refusal_reason}）` : ""}`))) : null,
    h("details", {}, h("summary", {}, L("内容", "Payload")), h("pre", { class: "mono" }, JSON.stringify(entry.payload, null, 1))),
    sigs.length ? h("div", { class: "row" }, sigs.map((g) => h("span", { class: "badge ok" }, `✔ ${g.actor} ${g.payload.meaning}`))) : null,
    SIGN_MEANINGS[entry.kind] ? h("button", { class: "primary sign", onclick: (e) => sign(entry, e.target) }, L("通行密钥审批", "Approve with passkey")) : null);
}

const jump = (hash) => (e) => {
  e.preventDefault();
  document.getElementById(`entry-${hash}`)?.scrollIntoView({ behavior: "smooth", block: "center" });
};

export async function render({ id }, query) {
  const [c, entries, integrity] = await Promise.all([
    json(`/api/cases/${id}`), wholeTimeline(id), json(`/api/cases/${id}/integrity`).catch((e) => ({ ok: false, problems: [e.message] })),
  ]);
  const byHash = new Map(entries.map((e) => [e.hash, e]));
  const correctedBy = new Map(entries.filter((e) => e.corrects).map((e) => [e.corrects.hash, e.hash]));
  const signaturesOf = new Map();
  for (const e of entries.filter((x) => x.kind === "signature.passkey")) {
    signaturesOf.set(e.payload.signs, [...(signaturesOf.get(e.payload.signs) || []), e]);
  }
  const badge = h("span", { class: `integrity ${integrity.ok ? "ok" : "bad"}`, id: "integrity", title: (integrity.problems || []).join("\n") },
    integrity.ok ? L("✔ 完整：哈希链、包含证明、检查点签名均通过", "✔ Intact: chain, inclusion proof and checkpoint signature verify")
      : L("✘ 完整性校验未通过", "✘ Integrity check failed"));
  const compliance = h("ol", { id: "compliance" }, (c.compliance || []).map((r) => h("li", {}, statusBadge(r.status), " ",
    r.entry_hash ? h("a", { href: `#entry-${r.entry_hash}`, onclick: jump(r.entry_hash) }, isEn() ? r.message_en : r.message_zh) : h("span", {}, isEn() ? r.message_en : r.message_zh),
    r.due_at ? h("span", { class: "muted" }, ` ${L("期限", "due")} ${when(r.due_at)}`) : null)));
  const node = page(c.title,
    h("div", { class: "row" }, badge, h("span", { class: "muted" }, `${c.stage} · ${c.enforcement_kind} · ${entries.length} ${L("条记录", "entries")} · ${L("检查点", "checkpoint")} ${integrity.tree_size ?? "?"}`)),
    h("div", { class: "cols" },
      h("div", { id: "timeline" }, entries.map((e) => entryCard(e, byHash, correctedBy, signaturesOf))),
      h("aside", {}, h("h2", {}, L("位置", "Positions")), gpsPlot(entries), h("h2", {}, L("合规检查", "Compliance")), compliance)));
  const target = query.get("entry");
  if (target) setTimeout(() => document.getElementById(`entry-${target}`)?.scrollIntoView({ block: "center" }), 50);
  return node;
}
