// Record forms rendered from the shared JSON Schemas (the same files the server validates against).
// Titles: `title` (Chinese) or `x-title-en`; enums: `x-enum-titles` (Chinese) and `x-enum-titles-en`.
// Hash fields are never typed: `x-widget: "photo"` (or format blob-sha256) attaches a photo and fills its
// SHA-256 once the photo is in the outbox; `x-widget: "entry"` picks one of the case's entries of
// `x-entry-kinds`. Fields whose schema says neither take their widget from shared/schemas/form-hints.json.
import { openCamera } from "./capture/camera.js";
import { h, toast } from "./dom.js";
import { CHECKS } from "./forms/checks.js";
import { showProblems } from "./forms/field_errors.js";
import { schemaProblems } from "./forms/validate.js";
import { isEn, t, titleOf } from "./i18n.js";
import * as db from "./db.js";

const SHA256 = "^[0-9a-f]{64}$";
const HINTS_URL = "/shared/schemas/form-hints.json";
let hints = { fields: {}, enum_titles_en: {}, checks: {} };

/** Load the form hints (cached on the device for offline forms); call before renderForm. */
export async function loadHints() {
  try {
    const res = await fetch(HINTS_URL);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    hints = await res.json();
    db.kvSet(`url:${HINTS_URL}`, hints);
  } catch {
    hints = (await db.kvGet(`url:${HINTS_URL}`)) || hints;
  }
  return hints;
}

function enumTitle(s, i) {
  const v = s.enum[i];
  if (!isEn()) return s["x-enum-titles"]?.[i] ?? v;
  return s["x-enum-titles-en"]?.[i] ?? hints.enum_titles_en?.[v] ?? String(v).replaceAll("_", " ");
}

/** The widget a hash field uses: the schema's own marker, else the hint for its property name. */
function withHints(key, s) {
  if (s.type !== "string" || (s.pattern !== SHA256 && !s["x-widget"] && s.format !== "blob-sha256")) return s;
  const merged = { ...(s.pattern === SHA256 ? hints.fields?.[key] || {} : {}), ...s };
  if (merged.format === "blob-sha256" && !merged["x-widget"]) merged["x-widget"] = "photo";
  if (merged.pattern === SHA256 && !merged["x-widget"]) merged["x-widget"] = key.endsWith("blob") ? "photo" : "entry";
  return merged;
}

const changed = (el) => el.dispatchEvent(new Event("input", { bubbles: true }));

/** A photo for a hash field: camera or file, kept in the outbox by ctx.attachPhoto, which returns its SHA-256. */
function photoField(name, key, s, required, value, ctx) {
  let sha = value || undefined;
  const label = h("label", { for: `f-${name}` }, titleOf(s), required ? h("span", { class: "req", title: t("form.required") }, " *") : null);
  const shown = h("span", { class: "mono blob-ref" }, sha ? `SHA-256 ${sha.slice(0, 16)}…` : t("form.photo.none"));
  const thumb = h("img", { class: "blob-thumb", alt: "", hidden: true, style: "max-width:160px;display:block;margin:6px 0" });
  const camBox = h("div", {});
  let cam = null;
  const wrap = h("div", { class: "blob-field", dataset: { widget: "photo", field: key, sha256: sha || "" } });
  async function attach(data, filename) {
    if (!ctx?.attachPhoto) return toast(t("form.photo.unavailable"), "error");
    try {
      const out = await ctx.attachPhoto(data, { field: key, filename });
      sha = out.sha256;
      wrap.dataset.sha256 = sha;
      shown.textContent = `SHA-256 ${sha.slice(0, 16)}…`;
      thumb.src = URL.createObjectURL(data);
      thumb.hidden = false;
      toast(t("form.photo.attached"));
      changed(input);
    } catch (e) {
      toast(`${t("error")}: ${e?.message || e}`, "error");
    }
  }
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", id: `f-${name}`, name, onchange: async (e) => {
    const file = e.target.files[0];
    if (file) await attach(file, file.name);
    e.target.value = "";
  } });
  const shoot = h("button", { type: "button", class: "primary", hidden: true, onclick: async () => {
    const jpeg = await cam.shoot();
    cam.stop();
    cam = null;
    shoot.hidden = true;
    await attach(jpeg, `${key}-${Date.now()}.jpg`);
  } }, t("capture.shoot"));
  const open = h("button", { type: "button", onclick: async () => {
    try {
      cam = await openCamera(camBox, ctx?.overlay || (() => [new Date().toLocaleString()]));
      shoot.hidden = false;
    } catch (e) { toast(`${t("error")}: ${e?.message || e}`, "error"); }
  } }, t("capture.in_app"));
  wrap.append(label, h("div", { class: "row" }, open, shoot), camBox, input, thumb, shown);
  return { node: wrap, read: () => sha };
}

/** One of the case's entries (of `x-entry-kinds`), from ctx.entries (server, or the device's copy offline). */
function entryField(name, key, s, required, value, ctx) {
  const label = h("label", { for: `f-${name}` }, titleOf(s), required ? h("span", { class: "req", title: t("form.required") }, " *") : null);
  const sel = h("select", { id: `f-${name}`, name, required, dataset: { widget: "entry", field: key } },
    h("option", { value: "" }, t("form.choose")), value ? h("option", { value, selected: true }, value.slice(0, 12)) : null);
  const note = h("div", { class: "muted" });
  (ctx?.entries ? ctx.entries(s["x-entry-kinds"] || []) : Promise.resolve([])).then((list) => {
    sel.replaceChildren(h("option", { value: "" }, t("form.choose")),
      ...list.map((o) => h("option", { value: o.value, selected: o.value === value }, o.label)));
    if (value && !list.some((o) => o.value === value)) sel.append(h("option", { value, selected: true }, value.slice(0, 12)));
    note.textContent = list.length ? "" : t("form.entry.none");
  }).catch(() => (note.textContent = t("form.entry.none")));
  return { node: h("div", { class: "entry-field" }, label, sel, note), read: () => sel.value || undefined };
}

function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

/** One field: returns {node, read()} where read() gives the value or undefined when empty. */
function field(name, s, required, value, ctx, key = name.split(".").pop()) {
  const out = fieldOf(name, s, required, value, ctx, key);
  // Errors are shown at the field they belong to: `data-path` is how forms/field_errors.js finds it.
  out.node.dataset.path = name;
  return out;
}

/** Any number of choices from a fixed list (an array of enums): ticks, never free text. */
function choicesField(name, s, required, value) {
  const chosen = new Set(value || []);
  const boxes = s.items.enum.map((v, i) => h("input", { type: "checkbox", value: v, name, id: i ? `f-${name}-${i}` : `f-${name}`, checked: chosen.has(v) }));
  const node = h("fieldset", { class: "choices", dataset: { widget: "choices" } },
    h("legend", {}, titleOf(s), required ? h("span", { class: "req", title: t("form.required") }, " *") : null),
    boxes.map((box, i) => h("label", { class: "check choice", for: box.id }, box, enumTitle(s.items, i))));
  return {
    node,
    read: () => {
      const v = boxes.filter((b) => b.checked).map((b) => s.items.enum[boxes.indexOf(b)]);
      return v.length ? v : undefined;
    },
  };
}

function fieldOf(name, s, required, value, ctx, key) {
  s = withHints(key, s);
  if (s["x-widget"] === "photo") return photoField(name, key, s, required, value, ctx);
  if (s["x-widget"] === "entry") return entryField(name, key, s, required, value, ctx);
  // Officer fields pick from the case team where the screen can give it (ctx.officerField).
  const officer = s["x-widget"] || hints.fields?.[key]?.["x-widget"];
  if ((officer === "officers" || officer === "officer") && ctx?.officerField) return ctx.officerField(name, key, s, required, value, officer);
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
    // Phone and ID numbers get their keypad and a check the schema cannot express (forms/checks.js).
    const check = hints.checks?.[key];
    const input = s["x-widget"] === "textarea"
      ? h("textarea", { id: `f-${name}`, name, rows: 4, required }, value ?? "")
      : h("input", { id: `f-${name}`, name, required, type: dt ? "datetime-local" : s.format === "date" ? "date" : "text", value: dt ? toLocalInput(value) : value ?? "",
        ...(CHECKS[check]?.input || {}), ...(check ? { dataset: { check } } : {}) });
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
  if (s.type === "array" && Array.isArray(s.items?.enum)) return choicesField(name, s, required, value);
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
      const sub = objectFields(`${name}-${rows.length}`, s.items, v, [], ctx);
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
    const sub = objectFields(name, s, value || {}, [], ctx);
    return { node: h("fieldset", {}, h("legend", {}, titleOf(s)), sub.nodes), read: () => sub.read() };
  }
  return { node: h("p", { class: "muted" }, `${titleOf(s)}: ${t("form.unsupported")}`), read: () => value };
}

/** The phone/ID checks of fields that have one, as problems like the schema's. */
function checkProblems(form) {
  return [...form.querySelectorAll("[data-check]")].flatMap((input) => {
    const problem = CHECKS[input.dataset.check]?.problem(input.value.trim());
    if (!problem) return [];
    const label = form.querySelector(`label[for="${CSS.escape(input.id)}"]`)?.firstChild?.textContent || "";
    return [{ name: input.name, keyword: "check", label, message: t(problem) }];
  });
}

function objectFields(prefix, schema, values, skip = [], ctx = null) {
  const req = new Set(schema.required || []);
  const fields = Object.entries(schema.properties || {})
    .filter(([k]) => !skip.includes(k))
    .map(([k, s]) => [k, field(`${prefix}.${k}`, s, req.has(k), values[k], ctx, k)]);
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
 * `ctx`: {attachPhoto(data, {field, filename}) -> {sha256}, entries(kinds) -> [{value, label}], overlay()}.
 * Returns {node, read(), missing(), check(payload?)}: check() validates the payload about to be queued
 * against the schema (and the phone/ID checks), shows each problem at its field, focuses the first and
 * returns whether the payload may go.
 */
export function renderForm(schema, values = {}, { skip = [], ctx = null } = {}) {
  const fields = objectFields("p", schema, values, skip, ctx);
  const summary = h("div", { class: "form-errors", role: "alert", hidden: true });
  const node = h("form", { class: "record-form", novalidate: true, onsubmit: (e) => e.preventDefault() }, summary, fields.nodes);
  return {
    node,
    read: () => fields.read(),
    check(payload = fields.read()) {
      const problems = [...schemaProblems(schema, payload), ...checkProblems(node)];
      showProblems(node, summary, problems);
      return problems.length === 0;
    },
    missing() {
      const v = fields.read();
      return (schema.required || []).filter((k) => !skip.includes(k) && (v[k] === undefined || v[k] === ""))
        .map((k) => titleOf(schema.properties[k]));
    },
  };
}
