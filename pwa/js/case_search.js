// Finding a case on the home screen: words (title, number, party) and a filter (problems, unsent, stage),
// applied to the cards already drawn, so it works offline and as fast as one types.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { STAGES } from "./cases.js";

/** Words a case is found by. */
export function searchText(c) {
  return [c.title, c.number, ...(c.parties || []).map((p) => `${p.name || ""} ${p.id_number || ""}`)].join(" ").toLowerCase();
}

/** The search box and filter for `list` (an element whose children are case cards with data-search etc.). */
export function caseSearch(list) {
  const box = h("input", { type: "search", id: "case-search", placeholder: t("forms.search_hint"), "aria-label": t("forms.search"), enterkeyhint: "search" });
  const filter = h("select", { id: "case-filter", "aria-label": t("forms.filter.stage") },
    h("option", { value: "" }, t("forms.filter.all")),
    h("option", { value: "problems" }, t("forms.filter.problems")),
    h("option", { value: "unsent" }, t("forms.filter.unsent")),
    STAGES.map((s) => h("option", { value: `stage:${s}` }, t(`stage.${s}`))));
  const none = h("p", { class: "muted", id: "no-match", hidden: true }, t("forms.no_match"));
  const apply = () => {
    const words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const f = filter.value;
    let shown = 0;
    for (const card of list.querySelectorAll(".case-card")) {
      const d = card.dataset;
      const ok = words.every((w) => d.search.includes(w))
        && (!f || (f === "problems" && d.problems === "1") || (f === "unsent" && d.unsent === "1") || f === `stage:${d.stage}`);
      card.hidden = !ok;
      shown += ok ? 1 : 0;
    }
    none.hidden = shown > 0;
  };
  box.addEventListener("input", apply);
  filter.addEventListener("change", apply);
  return h("div", { class: "case-search row" }, h("div", { class: "grow" }, box), filter, none);
}
