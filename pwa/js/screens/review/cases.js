// Supervisor case list: every case of the agency with filters and problem badges.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { when } from "./format.js";
import { enforcementKindName, stageName } from "./names.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";

const FILTERS = ["unit", "officer", "stage", "enforcement_kind"];

/** A filter as a select of the agency's own values (units, officers, the pack's stages and kinds). */
function select(name, options, chosen) {
  return h("label", {}, t(`review.filter.${name}`),
    h("select", { name },
      h("option", { value: "" }, t("forms.filter.all")),
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
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "overdue", value: "true", checked: query.get("overdue") === "true" }), t("review.cases.overdue")),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "problems", value: "true", checked: query.get("problems") === "true" }), t("review.cases.problems")),
    h("button", { class: "primary", type: "submit" }, t("review.cases.filter")));
  const rows = cases.map((c) => h("tr", { dataset: { caseId: c.case_id } },
    h("td", {}, h("a", { href: `#/review/cases/${c.case_id}` }, c.title), h("div", { class: "muted" }, c.number || c.case_id.slice(0, 8))),
    h("td", {}, stageName(c.stage)), h("td", {}, enforcementKindName(c.enforcement_kind)),
    h("td", { class: "officers" }, (c.officers || []).map((s) => who(dir, s)).join("、")),
    h("td", {}, when(c.updated_at)),
    h("td", {},
      c.badges.missing ? h("span", { class: "badge bad" }, `${t("review.cases.missing")} ${c.badges.missing}`) : null, " ",
      c.badges.late ? h("span", { class: "badge bad" }, `${t("review.cases.late")} ${c.badges.late}`) : null, " ",
      c.badges.holds ? h("span", { class: "badge warn" }, `${t("review.cases.hold")} ${c.badges.holds}`) : null, " ",
      !c.badges.missing && !c.badges.late ? h("span", { class: "badge ok" }, t("review.cases.no_problems")) : null)));
  return page(t("review.cases.case_review"), form,
    h("table", { id: "review-cases" },
      h("thead", {}, h("tr", {}, ...[t("review.cases.case"), t("forms.filter.stage"), t("review.cases.kind"), t("review.cases.officers"), t("review.cases.updated"), t("review.cases.badges")].map((x) => h("th", {}, x)))),
      h("tbody", {}, rows)),
    cases.length ? null : h("p", { class: "muted" }, t("review.cases.none_match")));
}
