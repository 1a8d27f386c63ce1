// Colleagues as officers pick them: the agency's staff directory and each case's team, kept on the
// device so pickers work offline. Shown by name, unit and 执法证号 — never by staff id.
import { ApiError, json } from "./api.js";
import * as db from "./db.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

async function cached(path, key) {
  try {
    const fresh = await json(path);
    await db.kvSet(key, fresh);
    return { rows: fresh, offline: false };
  } catch (e) {
    if (e instanceof ApiError && !e.transient) throw e;
    return { rows: (await db.kvGet(key)) || [], offline: true };
  }
}

/** Active staff of my agency: [{staff_id, name, unit_id, cert_number, roles}]. */
export const directory = () => cached("/api/staff/directory", "directory");

/** Who is on the case now, with names. */
export const team = (caseId) => cached(`/api/cases/${encodeURIComponent(caseId)}/members`, `team:${caseId}`);

/** "监察一科 · 执法证号 湘A0001" — what tells two colleagues of the same name apart. */
export function detailOf(c) {
  return [c.unit_id, c.cert_number ? t("docs.team.cert", { cert: c.cert_number }) : t("docs.team.no_cert")].filter(Boolean).join(" · ");
}

/**
 * A searchable list of colleagues with a checkbox each. `onChange(selectedIds)` runs on every tick.
 * Returns {node, selected()}.
 */
export function picker(rows, { id = "colleague-picker", exclude = new Set(), selected = [], onChange = () => {} } = {}) {
  const chosen = new Set(selected || []);
  const offered = rows.filter((c) => !exclude.has(c.staff_id));
  const search = h("input", { type: "search", id: `${id}-search`, placeholder: t("docs.team.search"), "aria-label": t("docs.team.search") });
  const list = h("ul", { class: "colleagues", id });
  const paint = () => {
    const q = search.value.trim();
    list.replaceChildren(
      ...offered
        .filter((c) => !q || [c.name, c.unit_id, c.cert_number].some((v) => (v || "").includes(q)))
        .map((c) => {
          const box = h("input", { type: "checkbox", checked: chosen.has(c.staff_id), dataset: { staffId: c.staff_id },
            onchange: (e) => { e.target.checked ? chosen.add(c.staff_id) : chosen.delete(c.staff_id); onChange([...chosen]); } });
          return h("li", {}, h("label", { class: "colleague row" }, box,
            h("span", { class: "grow" }, h("b", {}, c.name), h("div", { class: "muted" }, detailOf(c)))));
        }),
    );
    if (!offered.length) list.replaceChildren(h("li", { class: "muted" }, t("docs.team.none")));
  };
  search.addEventListener("input", paint);
  paint();
  return { node: h("div", { class: "colleague-picker" }, offered.length > 6 ? search : null, list), selected: () => [...chosen] };
}
