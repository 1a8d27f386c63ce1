// A record checked in the browser against the same JSON Schema the server validates it with (2020-12,
// by the vendored @cfworker/json-schema), so a server refusal is rare. Problems come back as field paths
// with Chinese sentences, in the words backend/ledger/schema_messages.py uses for the server's refusals.
import { Validator } from "../../vendor/json-schema/index.js";
import { t, titleOf } from "../i18n.js";

// Keywords that only say "something inside failed": the inner error is the one worth showing.
const WRAPPERS = new Set(["properties", "items", "prefixItems", "additionalItems", "allOf", "anyOf", "oneOf", "if", "then", "else",
  "$ref", "dependentSchemas", "unevaluatedItems", "contains", "patternProperties"]);
const validators = new WeakMap();

function validatorOf(schema) {
  if (!validators.has(schema)) validators.set(schema, new Validator(schema, "2020-12", false));
  return validators.get(schema);
}

const decode = (s) => decodeURIComponent(s).replaceAll("~1", "/").replaceAll("~0", "~");

/** "#/parties/0/name" -> ["parties", 0, "name"] */
function pathOf(location) {
  return location.replace(/^#\/?/, "").split("/").filter(Boolean).map(decode).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function sub(schema, key) {
  if (!schema) return {};
  if (typeof key === "number") return schema.items || {};
  const direct = schema.properties?.[key];
  if (direct) return direct;
  for (const branch of [...(schema.allOf || []), schema.then, schema.else]) {
    const found = branch && sub(branch, key);
    if (found && Object.keys(found).length) return found;
  }
  return {};
}

/** The schema a path leads to (the field's own: title, enum, minimum…). */
export function schemaAt(schema, path) {
  return path.reduce((node, key) => sub(node, key), schema);
}

/** '当事人第1项 · 姓名或名称' for ["parties", 0, "name"]: titles as the form shows them. */
export function labelOf(schema, path) {
  const parts = [];
  let node = schema;
  for (const key of path) {
    node = sub(node, key);
    if (typeof key === "number") {
      if (parts.length) parts[parts.length - 1] += t("forms.nth", { n: key + 1 });
      else parts.push(t("forms.nth", { n: key + 1 }));
    } else parts.push(titleOf(node) || key);
  }
  return parts.join(" · ") || titleOf(schema);
}

function sentence(keyword, field, detail) {
  const key = `forms.error.${keyword}`;
  const text = t(key, detail);
  return text === key ? t("forms.error.other") : text;
}

/**
 * Problems of `value` against `schema`: [{path, label, message}] where message is the sentence for the
 * field alone ("不能为空") and label names it. Required properties are reported at their own path.
 */
export function schemaProblems(schema, value) {
  const { errors } = validatorOf(schema).validate(value);
  const out = [];
  const seen = new Set();
  for (const e of errors) {
    if (WRAPPERS.has(e.keyword)) continue;
    let path = pathOf(e.instanceLocation);
    let keyword = e.keyword;
    if (keyword === "required") {
      const m = e.error.match(/required property "(.+)"/);
      if (!m) continue;
      path = [...path, m[1]];
    }
    const own = schemaAt(schema, path);
    const detail = {
      n: own.minLength ?? own.maxLength ?? own.minimum ?? own.maximum ?? own.exclusiveMinimum ?? own.exclusiveMaximum ?? own.minItems ?? own.maxItems ?? "",
    };
    if (keyword === "minLength" && own.minLength === 1) keyword = "empty";
    if (keyword === "minItems" && own.minItems === 1) keyword = "none_chosen";
    if (keyword === "format") keyword = `format_${own.format}`;
    const id = `${path.join("/")}|${keyword}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path, keyword, label: labelOf(schema, path), message: sentence(keyword, labelOf(schema, path), detail) });
  }
  return out;
}
