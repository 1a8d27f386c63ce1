// Statistics per agency, unit, officer and month: in words, as charts the server draws, a table, and the CSV.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { findingName } from "../../findings.js";
import { L, isEn } from "../../i18n.js";
import { enforcementKindName, stageName } from "./names.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";

const DIMS = ["agency", "unit", "officer", "month"];
const CHARTS = ["cases", "av_recorded", "late_uploads", "service_success", "spot_checked", "spot_deficient"];

const METRICS = {
  cases: ["案件数", "Cases"], av_required: ["应音像记录事项", "AV required"], av_recorded: ["已音像记录事项", "AV recorded"],
  late_uploads: ["逾期上传", "Late uploads"], missing_signatures: ["缺少签名", "Missing signatures"], refusals: ["拒绝签名", "Refusals to sign"],
  service_success: ["送达成功", "Served successfully"], spot_checked: ["已抽查录像", "Recordings spot-checked"],
  spot_compliant: ["抽查合格", "Spot checks compliant"], spot_deficient: ["抽查存在问题", "Spot checks deficient"], spot_serious: ["抽查严重问题", "Spot checks serious"],
};
// The server names every column in the reader's language; these are the fallbacks.
let serverTitles = {};
const DIM_NAMES = { agency: ["机关", "Agency"], unit: ["部门", "Unit"], officer: ["执法人员", "Officer"], month: ["月份", "Month"] };

/** A metric id (`cases`, `stage:start`, `kind:penalty`, `service:…`, `exif:…`) as words. */
export function metricName(m) {
  if (!isEn() && serverTitles[m]) return serverTitles[m];
  if (METRICS[m]) return L(...METRICS[m]);
  const [group, value] = m.split(/:(.*)/s);
  if (group === "stage") return `${L("阶段", "Stage")}：${stageName(value)}`;
  if (group === "kind") return `${L("类别", "Kind")}：${enforcementKindName(value)}`;
  if (group === "service") return `${L("送达", "Service")}：${L("其他方式", "other")}`;
  if (group === "exif") return `${L("照片核验", "Photo check")}：${findingName({ code: value })}`;
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

/** A chart the server drew (SVG, labelled in words): fetched and placed in the page, so its text
 * is the page's own and it needs nothing from outside. */
function serverChart(params, metric) {
  const box = h("figure", { class: "chart-box", dataset: { metric } }, h("figcaption", {}, metricName(metric)));
  const q = new URLSearchParams(params);
  q.set("metric", metric);
  q.set("lang", isEn() ? "en" : "zh-CN");
  fetch(`/api/review/statistics/chart?${q}`, { credentials: "same-origin" })
    .then((res) => (res.ok ? res.text() : Promise.reject(new Error(String(res.status)))))
    .then((text) => {
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      const chart = doc.documentElement;
      if (chart.nodeName !== "svg" || chart.querySelector("script")) return;
      box.append(document.importNode(chart, true));
    })
    .catch(() => box.append(h("p", { class: "muted" }, L("图表暂不可用", "Chart not available"))));
  return box;
}

const percent = (share) => (share == null ? "—" : `${Math.round(share * 1000) / 10}%`);

/** The report in sentences: what the numbers say, before the table. */
function inWords(report) {
  const t = report.totals;
  const served = t.service_success || 0;
  return h("ul", { id: "statistics-words", class: "card" },
    h("li", {}, L(`共 ${t.cases || 0} 件案件；应当音像记录的 ${t.av_required || 0} 个事项中，已记录 ${t.av_recorded || 0} 个（覆盖率 ${percent(report.av_coverage)}）。`,
      `${t.cases || 0} cases; ${t.av_recorded || 0} of ${t.av_required || 0} matters that needed audio-visual recording have one (${percent(report.av_coverage)}).`)),
    h("li", {}, L(`逾期上传 ${t.late_uploads || 0} 次；缺少签名 ${t.missing_signatures || 0} 处；当事人拒绝签名 ${t.refusals || 0} 次。`,
      `${t.late_uploads || 0} late uploads; ${t.missing_signatures || 0} missing signatures; ${t.refusals || 0} refusals to sign.`)),
    h("li", {}, L(`送达成功 ${served} 次。`, `${served} documents served successfully.`)),
    h("li", {}, L(`抽查录像 ${t.spot_checked || 0} 条：合格 ${t.spot_compliant || 0}，存在问题 ${t.spot_deficient || 0}，严重问题 ${t.spot_serious || 0}。`,
      `${t.spot_checked || 0} recordings spot-checked: ${t.spot_compliant || 0} compliant, ${t.spot_deficient || 0} deficient, ${t.spot_serious || 0} serious.`)));
}

export async function render(_params, query) {
  const groupBy = (query.get("group_by") || "officer,month").split(",").filter((d) => DIMS.includes(d));
  const params = new URLSearchParams({ group_by: groupBy.join(",") });
  for (const k of ["month_from", "month_to"]) if (query.get(k)) params.set(k, query.get(k));
  const [report, dir] = await Promise.all([json(`/api/review/statistics?${params}`), directory()]);
  dirCache = dir;
  serverTitles = report.titles || {};
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
    h("a", { class: "button", id: "csv", href: `/api/review/statistics?${params}&format=csv&lang=${isEn() ? "en" : "zh-CN"}`, download: L("执法统计.csv", "statistics.csv") }, L("下载表格（CSV）", "Download the table (CSV)")));
  const metrics = report.metrics;
  return page(L("执法统计", "Statistics"), form,
    inWords(report),
    h("div", { class: "charts" }, CHARTS.filter((m) => metrics.includes(m)).map((m) => serverChart(params, m))),
    h("div", { class: "scroll" }, h("table", { id: "statistics" },
      h("thead", {}, h("tr", {}, ...groupBy.map((d) => h("th", { dataset: { dim: d } }, L(...DIM_NAMES[d]))), h("th", {}, L("音像记录覆盖率", "AV coverage")), ...metrics.map((m) => h("th", { dataset: { metric: m } }, metricName(m))))),
      h("tbody", {}, report.rows.map((r) => h("tr", {}, ...groupBy.map((d) => h("td", {}, dimValue(r, d))), h("td", { class: "num" }, percent(r.av_coverage)), ...metrics.map((m) => h("td", { class: "num" }, r[m] ?? 0))))),
      h("tfoot", {}, h("tr", {}, h("th", { colspan: groupBy.length || 1 }, L("合计", "Total")), h("th", { class: "num" }, percent(report.av_coverage)), ...metrics.map((m) => h("th", { class: "num" }, report.totals[m] ?? 0)))))));
}
