// Statistics per agency, unit, officer and month: in words, as charts the server draws, a table, and the CSV.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { findingName } from "../../findings.js";
import { isEn, t } from "../../i18n.js";
import { enforcementKindName, stageName } from "./names.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";

const DIMS = ["agency", "unit", "officer", "month"];
const CHARTS = ["cases", "av_recorded", "late_uploads", "service_success", "spot_checked", "spot_deficient"];

// Named by review.metric.<id>.
const METRICS = ["cases", "av_required", "av_recorded", "late_uploads", "missing_signatures", "refusals", "service_success", "spot_checked", "spot_compliant", "spot_deficient", "spot_serious"];
// The server names every column in the reader's language; these are the fallbacks.
let serverTitles = {};

/** A metric id (`cases`, `stage:start`, `kind:penalty`, `service:…`, `exif:…`) as words. */
export function metricName(m) {
  if (!isEn() && serverTitles[m]) return serverTitles[m];
  if (METRICS.includes(m)) return t(`review.metric.${m}`);
  const [group, value] = m.split(/:(.*)/s);
  if (group === "stage") return `${t("forms.filter.stage")}：${stageName(value)}`;
  if (group === "kind") return `${t("review.cases.kind")}：${enforcementKindName(value)}`;
  if (group === "service") return `${t("stage.service")}：${t("review.stats.other")}`;
  if (group === "exif") return `${t("review.stats.photo_check")}：${findingName({ code: value })}`;
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
  if (d === "agency") return t("review.approvals.agency");
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
    .catch(() => box.append(h("p", { class: "muted" }, t("review.stats.chart_not_available"))));
  return box;
}

const percent = (share) => (share == null ? "—" : `${Math.round(share * 1000) / 10}%`);

/** The report in sentences: what the numbers say, before the table. */
function inWords(report) {
  const n = report.totals;
  return h("ul", { id: "statistics-words", class: "card" },
    h("li", {}, t("review.stats.words_av", { cases: n.cases || 0, required: n.av_required || 0, recorded: n.av_recorded || 0, coverage: percent(report.av_coverage) })),
    h("li", {}, t("review.stats.words_signatures", { late: n.late_uploads || 0, missing: n.missing_signatures || 0, refusals: n.refusals || 0 })),
    h("li", {}, t("review.stats.words_served", { n: n.service_success || 0 })),
    h("li", {}, t("review.stats.words_spot", { n: n.spot_checked || 0, compliant: n.spot_compliant || 0, deficient: n.spot_deficient || 0, serious: n.spot_serious || 0 })));
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
    ...DIMS.map((d) => h("label", { class: "check" }, h("input", { type: "checkbox", name: d, checked: groupBy.includes(d) }), t(`review.dimension.${d}`))),
    h("label", {}, t("review.stats.from"), h("input", { type: "month", name: "month_from", value: query.get("month_from") || "" })),
    h("label", {}, t("review.stats.to"), h("input", { type: "month", name: "month_to", value: query.get("month_to") || "" })),
    h("button", { class: "primary", type: "submit" }, t("review.stats.show")),
    h("a", { class: "button", id: "csv", href: `/api/review/statistics?${params}&format=csv&lang=${isEn() ? "en" : "zh-CN"}`, download: t("review.stats.statistics_csv") }, t("review.stats.download_table_csv")));
  const metrics = report.metrics;
  return page(t("review.stats.statistics"), form,
    inWords(report),
    h("div", { class: "charts" }, CHARTS.filter((m) => metrics.includes(m)).map((m) => serverChart(params, m))),
    h("div", { class: "scroll" }, h("table", { id: "statistics" },
      h("thead", {}, h("tr", {}, ...groupBy.map((d) => h("th", { dataset: { dim: d } }, t(`review.dimension.${d}`))), h("th", {}, t("review.stats.av_coverage")), ...metrics.map((m) => h("th", { dataset: { metric: m } }, metricName(m))))),
      h("tbody", {}, report.rows.map((r) => h("tr", {}, ...groupBy.map((d) => h("td", {}, dimValue(r, d))), h("td", { class: "num" }, percent(r.av_coverage)), ...metrics.map((m) => h("td", { class: "num" }, r[m] ?? 0))))),
      h("tfoot", {}, h("tr", {}, h("th", { colspan: groupBy.length || 1 }, t("review.stats.total")), h("th", { class: "num" }, percent(report.av_coverage)), ...metrics.map((m) => h("th", { class: "num" }, report.totals[m] ?? 0)))))));
}
