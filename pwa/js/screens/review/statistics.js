// Statistics per agency, unit, officer and month: a table, simple SVG bar charts, and the CSV.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { L, page } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const DIMS = ["agency", "unit", "officer", "month"];
const CHARTS = ["cases", "av_recorded", "late_uploads", "missing_signatures", "refusals"];

function bars(rows, groupBy, metric) {
  const values = rows.map((r) => r[metric] || 0), max = Math.max(1, ...values);
  const el = document.createElementNS(SVG, "svg");
  el.setAttribute("class", "chart");
  el.setAttribute("viewBox", `0 0 ${Math.max(300, rows.length * 60)} 220`);
  rows.forEach((r, i) => {
    const hgt = (values[i] / max) * 160;
    const rect = document.createElementNS(SVG, "rect");
    Object.entries({ x: i * 60 + 10, y: 180 - hgt, width: 40, height: hgt, fill: "#1565c0" }).forEach(([k, v]) => rect.setAttribute(k, v));
    const label = document.createElementNS(SVG, "text");
    Object.entries({ x: i * 60 + 30, y: 200, "text-anchor": "middle", "font-size": 10 }).forEach(([k, v]) => label.setAttribute(k, v));
    label.textContent = groupBy.map((d) => r[d]).join(" ").slice(0, 14);
    const count = document.createElementNS(SVG, "text");
    Object.entries({ x: i * 60 + 30, y: 175 - hgt, "text-anchor": "middle", "font-size": 11 }).forEach(([k, v]) => count.setAttribute(k, v));
    count.textContent = values[i];
    el.append(rect, label, count);
  });
  return h("figure", {}, h("figcaption", {}, metric), el);
}

export async function render(_params, query) {
  const groupBy = (query.get("group_by") || "officer,month").split(",").filter((d) => DIMS.includes(d));
  const params = new URLSearchParams({ group_by: groupBy.join(",") });
  for (const k of ["month_from", "month_to"]) if (query.get(k)) params.set(k, query.get(k));
  const report = await json(`/api/review/statistics?${params}`);
  const form = h("form", { class: "filters card", onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const q = new URLSearchParams({ group_by: DIMS.filter((d) => data.get(d)).join(",") });
    for (const k of ["month_from", "month_to"]) if (data.get(k)) q.set(k, data.get(k));
    location.hash = `/review/statistics?${q}`;
  } },
    ...DIMS.map((d) => h("label", { class: "check" }, h("input", { type: "checkbox", name: d, checked: groupBy.includes(d) }), { agency: L("机关", "Agency"), unit: L("部门", "Unit"), officer: L("执法人员", "Officer"), month: L("月份", "Month") }[d])),
    h("label", {}, L("起始月", "From"), h("input", { type: "month", name: "month_from", value: query.get("month_from") || "" })),
    h("label", {}, L("截止月", "To"), h("input", { type: "month", name: "month_to", value: query.get("month_to") || "" })),
    h("button", { class: "primary", type: "submit" }, L("统计", "Show")),
    h("a", { class: "button", id: "csv", href: `/api/review/statistics?${params}&format=csv`, download: "statistics.csv" }, L("导出 CSV", "Export CSV")));
  const metrics = report.metrics;
  return page(L("执法统计", "Statistics"), form,
    h("p", {}, `${L("音像记录覆盖率", "AV coverage of required matters")}: ${report.av_coverage == null ? "—" : `${Math.round(report.av_coverage * 1000) / 10}%`}`),
    h("div", { style: "overflow-x:auto" }, h("table", { id: "statistics" },
      h("thead", {}, h("tr", {}, ...groupBy.map((d) => h("th", {}, d)), ...metrics.map((m) => h("th", {}, m)))),
      h("tbody", {}, report.rows.map((r) => h("tr", {}, ...groupBy.map((d) => h("td", {}, r[d] || "—")), ...metrics.map((m) => h("td", { class: "num" }, r[m]))))),
      h("tfoot", {}, h("tr", {}, h("th", { colspan: groupBy.length || 1 }, L("合计", "Total")), ...metrics.map((m) => h("th", { class: "num" }, report.totals[m])))))),
    h("div", { class: "row" }, CHARTS.filter((m) => metrics.includes(m)).map((m) => bars(report.rows, groupBy, m))));
}
