// The strip at the top (online or not, what is unsent, GPS quality as a word) and the tab bar at the bottom
// (thumb reach, icons, the current tab marked). Clock offset and coordinates are details: settings and the
// step's verification fold show them. The strip is not a live region: it changes too often to be read out.
import { h } from "./dom.js";
import { gpsWord } from "./forms/plain.js";
import { t } from "./i18n.js";
import * as stamps from "./stamps.js";
import "./text_size.js";

const SVG = "http://www.w3.org/2000/svg";
// 24×24 outline icons (stroke only, so they follow the text colour in light and dark mode).
const ICONS = {
  cases: "M4 5h16v14H4zM4 9h16M9 5v4",
  new: "M12 5v14M5 12h14",
  outbox: "M12 16V4M7 9l5-5 5 5M4 14v5h16v-5",
  settings: "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19 12l2-1-1-3-2 .3-1.4-1.4.3-2-3-1-1 2h-2l-1-2-3 1 .3 2L5 9.3 3 9l-1 3 2 1v2l-2 1 1 3 2-.3 1.4 1.4-.3 2 3 1 1-2h2l1 2 3-1-.3-2 1.4-1.4 2 .3 1-3-2-1z",
  review: "M4 4h12l4 4v12H4zM8 12h8M8 16h5",
  admin: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 4-6 8-6s8 2 8 6",
};

export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name] || ICONS.cases);
  svg.append(path);
  return svg;
}

/** Mark the tab of the current route with aria-current="page" (the longest matching href wins). */
export function markCurrentTab() {
  const nav = document.querySelector("nav.tabs");
  if (!nav) return;
  const here = (location.hash.split("?")[0] || "#/");
  const links = [...nav.querySelectorAll("a")];
  const match = (href) => here === href || (href !== "#/" && here.startsWith(`${href}/`)) || (href === "#/" && here.startsWith("#/cases/") && !here.startsWith("#/cases/new"));
  const best = links.filter((a) => match(a.getAttribute("href"))).sort((a, b) => b.getAttribute("href").length - a.getAttribute("href").length)[0];
  for (const a of links) {
    if (!a.querySelector("svg.icon")) a.prepend(icon(a.id === "tab-review" ? "review" : a.id === "tab-admin" ? "admin" : "cases"));
    if (a === best) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

// The outbox (and its upload code) is not needed to draw the bar: on a first visit it would queue ahead of
// the sign-in screen's files; the unsent count follows as soon as it is loaded.
const outboxModule = () => import("./outbox.js");

export function renderStatusBar() {
  const net = h("span", { id: "net" });
  const unsent = h("a", { id: "unsent", href: "#/outbox", hidden: true });
  const gps = h("span", { id: "gps" });
  const count = h("span", { class: "count", id: "outbox-count", hidden: true });
  const bar = h("header", { class: "statusbar" }, h("b", {}, "CaseTrail"), net, unsent, gps);
  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": t("forms.tabs") },
    h("a", { href: "#/" }, icon("cases"), h("span", {}, t("nav.cases"))),
    h("a", { href: "#/cases/new" }, icon("new"), h("span", {}, t("nav.new_case"))),
    h("a", { href: "#/outbox" }, icon("outbox"), h("span", {}, t("nav.outbox")), count),
    h("a", { href: "#/settings" }, icon("settings"), h("span", {}, t("nav.settings"))),
  );
  const update = async () => {
    net.textContent = navigator.onLine ? t("status.online") : t("status.offline");
    net.className = navigator.onLine ? "" : "off";
    const q = stamps.fixQuality();
    gps.textContent = gpsWord(q, null);
    gps.className = q === "good" ? "" : "warn";
    gps.dataset.quality = q;
    const n = (await (await outboxModule()).unsent()).length;
    count.hidden = unsent.hidden = n === 0;
    count.textContent = String(n);
    unsent.textContent = t("forms.unsent", { n });
  };
  addEventListener("online", update);
  addEventListener("offline", update);
  addEventListener("hashchange", markCurrentTab);
  stamps.onFix(update);
  outboxModule().then((outbox) => {
    outbox.events.addEventListener("change", update);
    outbox.events.addEventListener("idle", update);
  });
  setInterval(update, 15_000);
  update();
  queueMicrotask(markCurrentTab);
  return h("div", {}, bar, tabs);
}
