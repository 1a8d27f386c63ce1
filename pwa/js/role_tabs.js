// Tabs only some roles get (review, admin) and the routes of the identity screens (admin, my passkeys).
// The tab bar is drawn once at start; the tabs here follow whoever is signed in at each navigation.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import * as router from "./router.js";
import * as session from "./session.js";

router.route("/admin", () => import("./screens/admin.js"));
router.route("/passkeys", () => import("./screens/passkeys.js"));

// Who may open the review screens is the review API's rule (backend/review/routes.py SUPERVISING).
const TABS = [
  { id: "tab-review", href: "#/review", key: "nav.review", roles: ["supervisor", "legal_reviewer", "approver", "archivist", "admin"] },
  { id: "tab-admin", href: "#/admin", key: "nav.admin", roles: ["admin"] },
];

export function syncTabs() {
  const nav = document.querySelector("nav.tabs");
  if (!nav) return;
  const roles = new Set(session.current()?.roles || []);
  const settings = nav.querySelector('a[href="#/settings"]');
  for (const tab of TABS) {
    const allowed = tab.roles.some((r) => roles.has(r));
    const link = nav.querySelector(`#${tab.id}`);
    if (allowed && !link) nav.insertBefore(h("a", { id: tab.id, href: tab.href }, t(tab.key)), settings);
    else if (!allowed && link) link.remove();
  }
}

addEventListener("hashchange", syncTabs);
// The first screen shows without a hashchange: catch the tab bar as it is drawn.
const app = document.getElementById("app");
if (app) {
  const watch = new MutationObserver(() => {
    if (!document.querySelector("nav.tabs")) return;
    watch.disconnect();
    syncTabs();
  });
  watch.observe(app, { childList: true, subtree: true });
}
