// The public pages' words (the party's page, the verification page, the notice board) come from the app's
// own string tables (shared/strings/), like the officer app's: one table per language, no copies per page.
// Each page keeps the reader's choice of language under its own name; otherwise the browser's, Chinese first.
const FILES = { zh: "zh-CN", en: "en" };
const tables = {};

/** The reader's language on this page: "zh" or "en". */
export function startLang(storageKey) {
  return localStorage.getItem(storageKey) || (navigator.language.startsWith("zh") ? "zh" : "en");
}

/** Fetch the table of `lang` once; a page that cannot reach it keeps the Chinese of its HTML. */
export async function loadStrings(lang) {
  tables[lang] ||= await fetch(`/shared/strings/ui.${FILES[lang]}.json`).then((r) => r.json()).catch(() => null);
}

/** `key` in `lang`, with `{name}` filled from `vars`; an unknown key shows as itself. */
export function tr(lang, key, vars = {}) {
  const s = tables[lang]?.[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? vars[k] : `{${k}}`));
}
