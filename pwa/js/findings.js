// What the server's checks found about a capture, in words: screens never show the codes.
import { isEn, t } from "./i18n.js";

const inParens = (text) => (text ? (isEn() ? ` (${text})` : `（${text}）`) : "");

/** One finding as a short sentence in the current language (editor or signer named when known). */
export function findingName(f) {
  const key = `finding.${f?.code}`;
  const d = f?.detail || {};
  const editor = inParens(isEn() ? d.editor : d.editor_zh || d.editor);
  const signer = inParens(d.signer);
  const text = t(key, { editor, signer });
  return text === key ? t("finding.other") : text;
}

/** The findings worth a reader's attention ("consistent" is the absence of one). */
export function notableFindings(list) {
  return (Array.isArray(list) ? list : []).filter((f) => f && f.code && f.code !== "consistent");
}
