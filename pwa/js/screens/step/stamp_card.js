// The stamp a step's captures carry: when the step was opened, where the phone is and how good that fix
// is, the clock's offset from the server. Coordinates and ids stay in the verification fold.
import { h } from "../../dom.js";
import { gpsWord, verifyDetails } from "../../forms/plain.js";
import { t } from "../../i18n.js";
import { everyWhileShown, screenSignal } from "../../router.js";
import * as stamps from "../../stamps.js";

/** The lines burned into an in-app photo and written into its caption. */
export function stampLines(c) {
  const f = stamps.currentFix();
  const q = stamps.fixQuality();
  return [
    `${new Date().toLocaleString()}  Δ${stamps.clockOffset() ?? "?"}ms`,
    f && q !== "stale" ? `${f.lat.toFixed(6)}, ${f.lon.toFixed(6)} ±${Math.round(f.accuracy_m)}m` : t("gps.none"),
    `${c.number || c.title}`.slice(0, 40),
  ];
}

/** The stamp card, kept current every second and at each new fix while the step shows. */
export function stampCard(openedAt) {
  const el = h("div", { class: "card stamp-card", id: "stamp" });
  const update = () => {
    const f = stamps.currentFix();
    const q = stamps.fixQuality();
    const open = el.querySelector("details")?.open;
    el.replaceChildren(
      h("div", { class: "stamp" }, `${t("stamp.opened")}: ${openedAt.toLocaleString()}`),
      h("div", { class: q === "good" ? "stamp" : "stamp warn", id: "gps-word", dataset: { quality: q } },
        gpsWord(q, f), q !== "good" ? ` — ${t(`gps.warn.${q}`)}` : ""),
      // Coordinates, the clock's offset and the device id are for verifying, kept in the fold.
      verifyDetails([
        h("div", { class: "stamp", id: "gps-stamp", dataset: { quality: q } },
          f ? `GPS ${f.lat.toFixed(6)}, ${f.lon.toFixed(6)} ±${Math.round(f.accuracy_m)} m · ${t("stamp.fix_time")} ${new Date(f.fix_time).toLocaleTimeString()}` : t("gps.none")),
        h("div", { class: "stamp" }, `${t("stamp.device_time")}: ${new Date().toLocaleString()} · ${t("stamp.offset")}: ${stamps.clockOffset() ?? "—"} ms`),
        h("div", { class: "stamp" }, `${t("settings.device_id")}: `, h("span", { class: "mono" }, stamps.device())),
      ]),
    );
    if (open) el.querySelector("details").open = true;
  };
  update();
  everyWhileShown(update, 1000);
  stamps.onFix(update, { signal: screenSignal() });
  return el;
}
