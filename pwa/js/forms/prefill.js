// What a new record starts with, so officers type only what they saw: who they are (name, 执法证号),
// when the step began, who records it, when it was received, and where — from GPS, in words, editable
// and never waited for: a fix that comes later fills the place only if nobody has typed there.
import { t } from "../i18n.js";
import { screenSignal } from "../router.js";
import * as stamps from "../stamps.js";

function placeText(fix) {
  const ns = fix.lat >= 0 ? "北纬" : "南纬";
  const ew = fix.lon >= 0 ? "东经" : "西经";
  return `${ns}${Math.abs(fix.lat).toFixed(5)}° ${ew}${Math.abs(fix.lon).toFixed(5)}°（±${Math.round(fix.accuracy_m)}${t("forms.metres")}）`;
}

/** A usable fix as place words, or "" (no fix or a stale one). */
export function gpsPlace() {
  const fix = stamps.currentFix();
  const q = stamps.fixQuality();
  return fix && (q === "good" || q === "poor") ? placeText(fix) : "";
}

/** Starting values for `schema` (only properties it has), for the signed-in `me`. */
export function prefillValues(schema, me, { openedAt = new Date() } = {}) {
  const props = schema.properties || {};
  const out = {};
  const officers = props.officers?.items?.properties;
  // Only a whole row: a name without the 执法证号 the schema requires would block the record.
  if (officers && me?.name && (!officers.certificate_no || me.cert_number)) {
    out.officers = [{ name: me.name, ...(officers.certificate_no && me.cert_number ? { certificate_no: me.cert_number } : {}) }];
  }
  for (const key of ["started_at", "opened_at"]) if (props[key]?.format === "date-time") out[key] = openedAt.toISOString();
  if (props.received_at?.format === "date-time") out.received_at = new Date().toISOString();
  if (props.recorder?.type === "string" && me?.name) out.recorder = me.name;
  const place = gpsPlace();
  if (props.place?.type === "string" && place) out.place = place;
  return out;
}

/** Fill the form's place field from the first fix that comes, unless someone typed there meanwhile. */
export function placeFollowsGps(formNode) {
  const input = formNode.querySelector("#f-p\\.place");
  if (!input || input.value) return;
  let typed = false;
  input.addEventListener("input", () => (typed = true), { once: true });
  stamps.onFix(() => {
    if (typed || input.value || !input.isConnected) return;
    const place = gpsPlace();
    if (!place) return;
    input.value = place;
    typed = true;
  }, { signal: screenSignal() });
}
