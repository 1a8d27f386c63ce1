// Names for the codes supervisors meet: stages, kinds of enforcement, and entry kinds (from their schemas).
import { json } from "../../api.js";
import { isEn, t, titleOf } from "../../i18n.js";

/** A translated name, or the raw value when no string exists for it (t() answers the key then). */
const named = (prefix, value) => {
  if (!value) return "—";
  const s = t(`${prefix}.${value}`);
  return s === `${prefix}.${value}` ? value : s;
};
export const stageName = (stage) => named("stage", stage);
export const enforcementKindName = (kind) => named("kind", kind);

const titles = new Map();
let versions = null;
/** Load the titles of these entry kinds from their schemas (each schema carries title / x-title-en). */
export async function loadKindTitles(kinds) {
  versions ||= await json("/api/kinds").catch(() => ({}));
  await Promise.all([...new Set(kinds)].filter((k) => k && !titles.has(k)).map(async (k) => {
    try {
      // The server names each kind's newest version (by number), so no version is picked here.
      const res = await fetch(`/shared/schemas/kinds/${k}.v${versions[k] || 1}.json`);
      if (res.ok) titles.set(k, await res.json());
    } catch { /* offline or unknown kind: the fallback below names it */ }
  }));
}

/** An entry kind's title in the current language; English schema texts can be long, keep the first clause. */
export function kindName(kind) {
  const schema = titles.get(kind);
  if (!schema) return kind;
  const title = titleOf(schema);
  return isEn() ? title.split(/[:(]/)[0].trim() : title;
}
