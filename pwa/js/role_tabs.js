// Tabs and links only some roles get (review, admin, recorder import) and the routes of the identity screens (admin, my passkeys).
// The tab bar is drawn once at start; the tabs here follow whoever is signed in at each navigation.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import * as router from "./router.js";
import * as session from "./session.js";
import { markCurrentTab } from "./statusbar.js";

router.route("/admin", () => import("./screens/admin.js"));
router.route("/passkeys", () => import("./screens/passkeys.js"));

// Who may open the review screens is the review API's rule (backend/review/routes.py SUPERVISING).
const TABS = [
  { id: "tab-review", href: "#/review", key: "nav.review", roles: ["supervisor", "legal_reviewer", "approver", "archivist", "admin"] },
  { id: "tab-admin", href: "#/admin", key: "nav.admin", roles: ["admin"] },
];

// Links screens show by role, same shape as TABS. Uploading recorder files is the import API's rule
// (backend/recordings/routes.py: role:officer), so a supervisor who also handles cases gets it too.
const LINKS = {
  import: { id: "import-link", href: "#/import", key: "nav.import", roles: ["officer"] },
};

/** The role-gated link `name` for whoever is signed in, or null when their roles do not allow it. */
export function roleLink(name, attrs = {}) {
  const link = LINKS[name];
  const roles = new Set(session.current()?.roles || []);
  if (!link || !link.roles.some((r) => roles.has(r))) return null;
  return h("a", { id: link.id, href: link.href, ...attrs }, t(link.key));
}

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
  markCurrentTab();
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
