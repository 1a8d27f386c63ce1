// UI strings: zh-CN by default, English switchable; strings live in /shared/strings/ui.<lang>.json.
export const LANGS = ["zh-CN", "en"];
let lang = localStorage.getItem("casetrail.lang") || "zh-CN";
let strings = {};

export async function load(next = lang) {
  const res = await fetch(`/shared/strings/ui.${next}.json`);
  strings = await res.json();
  lang = next;
  localStorage.setItem("casetrail.lang", lang);
  document.documentElement.lang = lang;
}

export const current = () => lang;
export const isEn = () => lang === "en";

/** Translate `key`, filling `{name}` placeholders from `vars`. Unknown keys show the key itself. */
export function t(key, vars = {}) {
  const s = strings[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? vars[k] : `{${k}}`));
}

/** Translate `key` when the tables name it, else `fallback` (a value that has no name of its own). */
export const tOr = (key, fallback, vars = {}) => (key in strings ? t(key, vars) : fallback);

/** A schema's or pack's title in the current language (`title` is Chinese, `x-title-en`/`title_en` English). */
export function titleOf(obj) {
  if (!obj) return "";
  if (isEn()) return obj["x-title-en"] || obj.title_en || obj.title || obj.title_zh || "";
  return obj.title || obj.title_zh || obj["x-title-en"] || "";
}
