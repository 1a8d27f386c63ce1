// Supervisor case list: every case of the agency with filters and problem badges.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { L, isEn } from "../../i18n.js";
import { when } from "./format.js";
import { enforcementKindName, stageName } from "./names.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";

const FILTERS = ["unit", "officer", "stage", "enforcement_kind"];
const LABELS = { unit: ["部门", "Unit"], officer: ["执法人员", "Officer"], stage: ["阶段", "Stage"], enforcement_kind: ["类别", "Kind"] };

/** A filter as a select of the agency's own values (units, officers, the pack's stages and kinds). */
function select(name, options, chosen) {
  return h("label", {}, L(...LABELS[name]),
    h("select", { name },
      h("option", { value: "" }, L("全部", "All")),
      options.map(([value, label]) => h("option", { value, selected: value === chosen }, label))));
}

export async function render(_params, query) {
  const params = new URLSearchParams();
  for (const k of [...FILTERS, "overdue", "problems"]) if (query.get(k)) params.set(k, query.get(k));
  const [cases, choices, dir] = await Promise.all([
    json(`/api/review/cases?${params}`),
    json("/api/review/filters").catch(() => ({ units: [], officers: [], stages: [], enforcement_kinds: [] })),
    directory(),
  ]);
  const options = {
    unit: choices.units.map((u) => [u.unit_id, u.name]),
    officer: choices.officers.map((o) => [o.staff_id, o.unit ? `${who(dir, o.staff_id)}（${o.unit}）` : who(dir, o.staff_id)]),
    stage: choices.stages.map((s) => [s, stageName(s)]),
    enforcement_kind: choices.enforcement_kinds.map((k) => [k, enforcementKindName(k)]),
  };
  const form = h("form", { class: "filters card", onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(e.target)) if (v) q.set(k, v);
    location.hash = `/review?${q}`;
  } },
    ...FILTERS.map((k) => select(k, options[k], query.get(k) || "")),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "overdue", value: "true", checked: query.get("overdue") === "true" }), L("逾期", "Overdue")),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "problems", value: "true", checked: query.get("problems") === "true" }), L("有问题", "Problems")),
    h("button", { class: "primary", type: "submit" }, L("筛选", "Filter")));
  const rows = cases.map((c) => h("tr", { dataset: { caseId: c.case_id } },
    h("td", {}, h("a", { href: `#/review/cases/${c.case_id}` }, c.title), h("div", { class: "muted" }, c.number || c.case_id.slice(0, 8))),
    h("td", {}, stageName(c.stage)), h("td", {}, enforcementKindName(c.enforcement_kind)),
    h("td", { class: "officers" }, (c.officers || []).map((s) => who(dir, s)).join("、")),
    h("td", {}, when(c.updated_at)),
    h("td", {},
      c.badges.missing ? h("span", { class: "badge bad" }, `${L("缺失", "missing")} ${c.badges.missing}`) : null, " ",
      c.badges.late ? h("span", { class: "badge bad" }, `${L("逾期", "late")} ${c.badges.late}`) : null, " ",
      c.badges.holds ? h("span", { class: "badge warn" }, `${L("长期保存", "hold")} ${c.badges.holds}`) : null, " ",
      !c.badges.missing && !c.badges.late ? h("span", { class: "badge ok" }, L("无问题", "no problems")) : null)));
  return page(L("案件审查", "Case review"), form,
    h("table", { id: "review-cases" },
      h("thead", {}, h("tr", {}, ...[L("案件", "Case"), L("阶段", "Stage"), L("类别", "Kind"), L("执法人员", "Officers"), L("更新", "Updated"), L("标记", "Badges")].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)),
    cases.length ? null : h("p", { class: "muted" }, isEn() ? "No cases match." : "没有符合条件的案件。"));
}
