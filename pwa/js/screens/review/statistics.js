// Statistics per agency, unit, officer and month: a table, simple SVG bar charts, and the CSV.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { L, directory, enforcementKindName, page, stageName, who } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const DIMS = ["agency", "unit", "officer", "month"];
const CHARTS = ["cases", "av_recorded", "late_uploads", "missing_signatures", "refusals"];

const METRICS = {
  cases: ["案件数", "Cases"], av_required: ["应音像记录事项", "AV required"], av_recorded: ["已音像记录事项", "AV recorded"],
  late_uploads: ["逾期上传", "Late uploads"], missing_signatures: ["缺少签名", "Missing signatures"], refusals: ["拒绝签名", "Refusals to sign"],
  service_success: ["送达成功", "Served successfully"],
};
const DIM_NAMES = { agency: ["机关", "Agency"], unit: ["部门", "Unit"], officer: ["执法人员", "Officer"], month: ["月份", "Month"] };

/** A metric id (`cases`, `stage:start`, `kind:penalty`, `service:…`, `exif:…`) as words. */
export function metricName(m) {
  if (METRICS[m]) return L(...METRICS[m]);
  const [group, value] = m.split(/:(.*)/s);
  if (group === "stage") return `${L("阶段", "Stage")}：${stageName(value)}`;
  if (group === "kind") return `${L("类别", "Kind")}：${enforcementKindName(value)}`;
  if (group === "service") return `${L("送达", "Service")}：${value}`;
  if (group === "exif") return `${L("照片核验", "Photo check")}：${value}`;
  return m;
}

let dirCache = null;
const unitName = (id) => dirCache?.units.find((u) => u.unit_id === id)?.name || id;
/** A row's value in one dimension as shown to people: names, not ids. */
function dimValue(r, d) {
  const v = r[d];
  if (!v) return "—";
  if (d === "officer") return who(dirCache, v);
  if (d === "unit") return unitName(v);
  if (d === "agency") return L("本机关", "Agency");
  return v;
}

function bars(rows, groupBy, metric) {
  const values = rows.map((r) => r[metric] || 0), max = Math.max(1, ...values);
  // Wide bars and two label lines (name, month) so labels never run into each other.
  const step = 96;
  const el = document.createElementNS(SVG, "svg");
  el.setAttribute("class", "chart");
  el.setAttribute("viewBox", `0 0 ${Math.max(300, rows.length * step)} 240`);
  el.style.minWidth = `${rows.length * step}px`;
  const text = (attrs, content) => {
    const node = document.createElementNS(SVG, "text");
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    node.textContent = content;
    return node;
  };
  rows.forEach((r, i) => {
    const hgt = (values[i] / max) * 160, mid = i * step + step / 2;
    const rect = document.createElementNS(SVG, "rect");
    Object.entries({ x: mid - 20, y: 180 - hgt, width: 40, height: hgt, fill: "#1565c0" }).forEach(([k, v]) => rect.setAttribute(k, v));
    const parts = groupBy.map((d) => dimValue(r, d));
    const fit = (t) => (t.length > 7 ? `${t.slice(0, 6)}…` : t);
    const label = text({ x: mid, y: 198, "text-anchor": "middle", "font-size": 12, class: "bar-label" }, fit(parts[0] || ""));
    const title = document.createElementNS(SVG, "title");
    title.textContent = parts.join(" · ");
    label.append(title);
    el.append(rect, label, text({ x: mid, y: 175 - hgt, "text-anchor": "middle", "font-size": 11 }, values[i]));
    if (parts.length > 1) el.append(text({ x: mid, y: 214, "text-anchor": "middle", "font-size": 11, fill: "#555" }, fit(parts.slice(1).join(" "))));
  });
  return h("figure", { class: "scroll" }, h("figcaption", {}, metricName(metric)), el);
}

export async function render(_params, query) {
  const groupBy = (query.get("group_by") || "officer,month").split(",").filter((d) => DIMS.includes(d));
  const params = new URLSearchParams({ group_by: groupBy.join(",") });
  for (const k of ["month_from", "month_to"]) if (query.get(k)) params.set(k, query.get(k));
  const [report, dir] = await Promise.all([json(`/api/review/statistics?${params}`), directory()]);
  dirCache = dir;
  const form = h("form", { class: "filters card", onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const q = new URLSearchParams({ group_by: DIMS.filter((d) => data.get(d)).join(",") });
    for (const k of ["month_from", "month_to"]) if (data.get(k)) q.set(k, data.get(k));
    location.hash = `/review/statistics?${q}`;
  } },
    ...DIMS.map((d) => h("label", { class: "check" }, h("input", { type: "checkbox", name: d, checked: groupBy.includes(d) }), L(...DIM_NAMES[d]))),
    h("label", {}, L("起始月", "From"), h("input", { type: "month", name: "month_from", value: query.get("month_from") || "" })),
    h("label", {}, L("截止月", "To"), h("input", { type: "month", name: "month_to", value: query.get("month_to") || "" })),
    h("button", { class: "primary", type: "submit" }, L("统计", "Show")),
    h("a", { class: "button", id: "csv", href: `/api/review/statistics?${params}&format=csv`, download: "statistics.csv" }, L("导出 CSV", "Export CSV")));
  const metrics = report.metrics;
  return page(L("执法统计", "Statistics"), form,
    h("p", {}, `${L("音像记录覆盖率", "AV coverage of required matters")}: ${report.av_coverage == null ? "—" : `${Math.round(report.av_coverage * 1000) / 10}%`}`),
    h("div", { style: "overflow-x:auto" }, h("table", { id: "statistics" },
      h("thead", {}, h("tr", {}, ...groupBy.map((d) => h("th", { dataset: { dim: d } }, L(...DIM_NAMES[d]))), ...metrics.map((m) => h("th", { title: m, dataset: { metric: m } }, metricName(m))))),
      h("tbody", {}, report.rows.map((r) => h("tr", {}, ...groupBy.map((d) => h("td", {}, dimValue(r, d))), ...metrics.map((m) => h("td", { class: "num" }, r[m] ?? 0))))),
      h("tfoot", {}, h("tr", {}, h("th", { colspan: groupBy.length || 1 }, L("合计", "Total")), ...metrics.map((m) => h("th", { class: "num" }, report.totals[m] ?? 0)))))),
    h("div", { class: "row" }, CHARTS.filter((m) => metrics.includes(m)).map((m) => bars(report.rows, groupBy, m))));
}
