// Record forms rendered from the shared JSON Schemas (the same files the server validates against).
// Titles: `title` (Chinese) or `x-title-en`; enums: `x-enum-titles` (Chinese) or the value itself.
import { h } from "./dom.js";
import { isEn, t, titleOf } from "./i18n.js";

const enumTitle = (s, i) => (isEn() ? String(s.enum[i]).replaceAll("_", " ") : s["x-enum-titles"]?.[i] ?? s.enum[i]);

function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

/** One field: returns {node, read()} where read() gives the value or undefined when empty. */
function field(name, s, required, value) {
  const label = h("label", { for: `f-${name}` }, titleOf(s), required ? h("span", { class: "req", title: t("form.required") }, " *") : null);
  if (s.type === "boolean") {
    const box = h("input", { type: "checkbox", id: `f-${name}`, name, checked: Boolean(value) });
    return { node: h("label", { class: "check" }, box, titleOf(s)), read: () => box.checked };
  }
  if (s.type === "string" && s.enum) {
    const sel = h("select", { id: `f-${name}`, name, required },
      h("option", { value: "" }, t("form.choose")),
      s.enum.map((v, i) => h("option", { value: v, selected: v === value }, enumTitle(s, i))));
    return { node: h("div", {}, label, sel), read: () => sel.value || undefined };
  }
  if (s.type === "string") {
    const dt = s.format === "date-time";
    const input = s["x-widget"] === "textarea"
      ? h("textarea", { id: `f-${name}`, name, rows: 4, required }, value ?? "")
      : h("input", { id: `f-${name}`, name, required, type: dt ? "datetime-local" : s.format === "date" ? "date" : "text", value: dt ? toLocalInput(value) : value ?? "" });
    return {
      node: h("div", {}, label, input),
      read: () => {
        const v = input.value.trim();
        if (!v) return undefined;
        return dt ? new Date(v).toISOString() : v;
      },
    };
  }
  if (s.type === "integer" || s.type === "number") {
    const input = h("input", { id: `f-${name}`, name, type: "number", inputmode: "numeric", min: s.minimum, step: s.type === "integer" ? 1 : "any", required, value: value ?? "" });
    return { node: h("div", {}, label, input), read: () => (input.value === "" ? undefined : Number(input.value)) };
  }
  if (s.type === "array" && s.items?.type === "string") {
    const area = h("textarea", { id: `f-${name}`, name, rows: 3, placeholder: t("form.one_per_line") }, (value || []).join("\n"));
    return {
      node: h("div", {}, label, area),
      read: () => {
        const lines = area.value.split("\n").map((x) => x.trim()).filter(Boolean);
        return lines.length ? lines : undefined;
      },
    };
  }
  if (s.type === "array" && s.items?.type === "object") {
    const rows = [];
    const list = h("div", {});
    const add = (v = {}) => {
      const sub = objectFields(`${name}-${rows.length}`, s.items, v);
      const row = { sub, node: h("fieldset", {}, h("legend", {}, `${titleOf(s.items)} ${rows.length + 1}`), sub.nodes) };
      rows.push(row);
      list.append(row.node);
    };
    (value || []).forEach(add);
    if (!rows.length && required) add();
    return {
      node: h("div", {}, label, list, h("button", { type: "button", onclick: () => add() }, `+ ${titleOf(s.items)}`)),
      read: () => {
        const out = rows.map((r) => r.sub.read()).filter((o) => Object.keys(o).length);
        return out.length ? out : undefined;
      },
    };
  }
  if (s.type === "object") {
    const sub = objectFields(name, s, value || {});
    return { node: h("fieldset", {}, h("legend", {}, titleOf(s)), sub.nodes), read: () => sub.read() };
  }
  return { node: h("p", { class: "muted" }, `${titleOf(s)}: ${t("form.unsupported")}`), read: () => value };
}

function objectFields(prefix, schema, values, skip = []) {
  const req = new Set(schema.required || []);
  const fields = Object.entries(schema.properties || {})
    .filter(([k]) => !skip.includes(k))
    .map(([k, s]) => [k, field(`${prefix}.${k}`, s, req.has(k), values[k])]);
  return {
    nodes: fields.map(([, f]) => f.node),
    read() {
      const out = {};
      for (const [k, f] of fields) {
        const v = f.read();
        if (v !== undefined) out[k] = v;
      }
      return out;
    },
  };
}

/**
 * A form for `schema`; `skip` leaves out properties another widget fills (e.g. signatures).
 * Returns {node, read(), missing()} where missing() lists required properties left empty.
 */
export function renderForm(schema, values = {}, { skip = [] } = {}) {
  const fields = objectFields("p", schema, values, skip);
  const node = h("form", { class: "record-form", onsubmit: (e) => e.preventDefault() }, fields.nodes);
  return {
    node,
    read: () => fields.read(),
    missing() {
      const v = fields.read();
      return (schema.required || []).filter((k) => !skip.includes(k) && (v[k] === undefined || v[k] === ""))
        .map((k) => titleOf(schema.properties[k]));
    },
  };
}
