// Machine text (hashes, device ids, clock offsets, raw coordinates) belongs to the people who verify, not
// on an officer's screen: it goes into one "verification details" fold, the only place where a screen may
// show it (tests/e2e/test_plain_words.py scans everything outside it).
import { h } from "../dom.js";
import { t } from "../i18n.js";

/** A closed <details class="verify"> holding `rows` ([label, value] pairs or nodes); values are monospaced. */
export function verifyDetails(rows, { id } = {}) {
  const body = rows.filter(Boolean).map((r) => (Array.isArray(r)
    ? h("div", { class: "verify-row" }, h("span", { class: "muted" }, `${r[0]}：`), h("span", { class: "mono" }, r[1]))
    : r));
  if (!body.length) return null;
  return h("details", { class: "verify", id }, h("summary", {}, t("forms.verify.summary")), body);
}

/** GPS quality as a word ("定位良好"), with the accuracy in metres when there is a fix. */
export function gpsWord(quality, fix) {
  const word = t(`forms.gps.${quality}`);
  return fix && (quality === "good" || quality === "poor") ? `${word}（±${Math.round(fix.accuracy_m)} ${t("forms.metres")}）` : word;
}
