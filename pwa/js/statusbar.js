// The strip at the top (network, GPS fix, clock offset) and the tab bar at the bottom (thumb reach).
import { h } from "./dom.js";
import { t } from "./i18n.js";
import * as outbox from "./outbox.js";
import * as stamps from "./stamps.js";

export function renderStatusBar() {
  const net = h("span", { id: "net" });
  const gps = h("span", { id: "gps" });
  const clock = h("span", { id: "clock" });
  const count = h("span", { class: "count", id: "outbox-count", hidden: true });
  const bar = h("header", { class: "statusbar", role: "status" }, h("b", {}, "CaseTrail"), net, gps, clock);
  const tabs = h(
    "nav",
    { class: "tabs" },
    h("a", { href: "#/" }, t("nav.cases")),
    h("a", { href: "#/cases/new" }, t("nav.new_case")),
    h("a", { href: "#/outbox" }, t("nav.outbox"), count),
    h("a", { href: "#/settings" }, t("nav.settings")),
  );
  const update = async () => {
    net.textContent = navigator.onLine ? t("status.online") : t("status.offline");
    net.className = navigator.onLine ? "" : "off";
    const q = stamps.fixQuality();
    const f = stamps.currentFix();
    gps.textContent = q === "good" ? t("gps.good", { acc: Math.round(f.accuracy_m) })
      : q === "poor" ? t("gps.poor", { acc: Math.round(f.accuracy_m) })
      : q === "stale" ? t("gps.stale") : t("gps.none");
    gps.className = q === "good" ? "" : "warn";
    gps.dataset.quality = q;
    const off = stamps.clockOffset();
    clock.textContent = off == null ? t("clock.unknown") : t("clock.offset", { ms: off });
    const n = (await outbox.unsent()).length;
    count.hidden = n === 0;
    count.textContent = String(n);
  };
  addEventListener("online", update);
  addEventListener("offline", update);
  stamps.onFix(update);
  outbox.events.addEventListener("change", update);
  outbox.events.addEventListener("idle", update);
  setInterval(update, 15_000);
  update();
  return h("div", {}, bar, tabs);
}
