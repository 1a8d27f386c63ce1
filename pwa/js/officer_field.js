// Officer fields in record forms (执法人员, 送达人, 归档人 …) pick from the case team, never typed: each
// ticked member fills name and 执法证号; "已出示证件" stays the officer's to tick. Offline it uses the
// team as last seen on this device.
import * as colleagues from "./colleagues.js";
import { h } from "./dom.js";
import { t, titleOf } from "./i18n.js";

/** The case team with names and certificate numbers (the directory fills what the member list lacks). */
export async function teamOf(caseId) {
  const [team, dir] = await Promise.all([colleagues.team(caseId), colleagues.directory()]);
  const byId = new Map(dir.rows.map((r) => [r.staff_id, r]));
  return team.rows.map((m) => ({ ...m, ...(byId.get(m.staff_id) || {}) })).filter((m) => m.name);
}

/**
 * `widget` "officers": an array of {name, certificate_no, shown?}; "officer": one name.
 * Returns {node, read()} like every schema_form field. `team` is a promise of teamOf().
 */
export function officerField(name, key, s, required, value, widget, team) {
  const label = h("div", { class: "label" }, titleOf(s), required ? h("span", { class: "req", title: t("form.required") }, " *") : null);
  const list = h("div", { class: "officer-field", id: `f-${name}`, dataset: { widget } });
  const chosen = new Map();
  const shown = new Set();
  const before = widget === "officers" ? value || [] : value ? [{ name: value }] : [];
  for (const o of before) {
    chosen.set(o.name, o);
    if (o.shown) shown.add(o.name);
  }
  team.then((rows) => {
    const extra = before.filter((o) => !rows.some((r) => r.name === o.name)).map((o) => ({ name: o.name, cert_number: o.certificate_no }));
    list.replaceChildren(...[...rows, ...extra].map((m) => {
      const box = h("input", { type: widget === "officers" ? "checkbox" : "radio", name: `f-${name}`, checked: chosen.has(m.name), dataset: { staffId: m.staff_id || "" },
        onchange: (e) => {
          if (widget === "officer") chosen.clear();
          e.target.checked ? chosen.set(m.name, { name: m.name, certificate_no: m.cert_number }) : chosen.delete(m.name);
        } });
      const cert = widget === "officers"
        ? h("label", { class: "check shown" }, h("input", { type: "checkbox", checked: shown.has(m.name), onchange: (e) => (e.target.checked ? shown.add(m.name) : shown.delete(m.name)) }), t("docs.officer.shown"))
        : null;
      return h("div", { class: "colleague row" }, h("label", { class: "row grow" }, box, h("span", {}, h("b", {}, m.name), h("div", { class: "muted" }, colleagues.detailOf(m)))), cert);
    }));
    if (!rows.length && !extra.length) list.replaceChildren(h("p", { class: "muted" }, t("docs.team.none")));
  });
  return {
    node: h("div", { class: "officer-widget" }, label, list),
    read: () => {
      if (widget === "officer") return [...chosen.keys()][0];
      const out = [...chosen.values()].map((o) => {
        const row = { name: o.name };
        if (o.certificate_no) row.certificate_no = o.certificate_no;
        if (s.items?.properties?.shown) row.shown = shown.has(o.name);
        return row;
      });
      return out.length ? out : undefined;
    },
  };
}
