// The frame of every review screen: the tabs, the title, and tables that read as cards on a phone.
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { enablePush } from "../../push.js";

// The review tabs, in the order a supervisor's day runs. On a phone they are one strip that
// scrolls sideways (never wrapping into a second row); the current tab is marked and scrolled into view.
const TABS = [
  ["#/review", "cases", /^#\/review(\/cases\/.*)?(\?.*)?$/],
  ["#/review/approvals", "approvals", /^#\/review\/approvals/],
  ["#/review/spot-checks", "spot_checks", /^#\/review\/spot-checks/],
  ["#/review/recordings", "recordings", /^#\/review\/recordings/],
  ["#/review/retention", "retention", /^#\/review\/retention/],
  ["#/review/statistics", "statistics", /^#\/review\/statistics/],
];

function tabs() {
  const here = location.hash || "#/review";
  const strip = h("nav", { class: "row review-tabs", "aria-label": t("review.tabs.review") },
    TABS.map(([href, name, match]) => h("a", { href, "aria-current": match.test(here) ? "page" : null }, t(`review.tab.${name}`))),
    h("button", { class: "push-toggle", onclick: async (e) => {
      e.target.disabled = true;
      try {
        e.target.textContent = (await enablePush()) ? t("review.tabs.notifications") : t("review.tabs.notifications_off");
      } catch (err) {
        e.target.textContent = err.message;
      }
    } }, t("review.tabs.turn_notifications")));
  requestAnimationFrame(() => strip.querySelector("[aria-current]")?.scrollIntoView({ block: "nearest", inline: "center" }));
  return strip;
}

/** Each data cell names its column, so a table reads as a stack of cards on a phone (review.css). */
export function labelCells(root) {
  for (const table of root.querySelectorAll("table:not(.custody)")) {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    table.classList.add("cards");
    for (const row of table.querySelectorAll("tbody tr, tfoot tr")) {
      [...row.children].forEach((cell, i) => { if (heads[i] && !cell.dataset.label) cell.dataset.label = heads[i]; });
    }
  }
  return root;
}

export function page(title, ...children) {
  return labelCells(h("section", { class: "review" }, tabs(), h("h1", {}, title), ...children));
}
