// Boot: strings, stamps, session, routes, the outbox and the service worker with its update prompt.
import { h } from "./dom.js";
import * as i18n from "./i18n.js";
import * as router from "./router.js";
import * as session from "./session.js";
import * as stamps from "./stamps.js";
import * as db from "./db.js";
import { renderStatusBar } from "./statusbar.js";

document.getElementById("app-css").media = "all";

const screens = "./screens/";
router.route("/signin", () => import(`${screens}signin.js`), { auth: false });
router.route("/register", () => import(`${screens}register.js`), { auth: false });
router.route("/", () => import(`${screens}home.js`));
router.route("/cases/new", () => import(`${screens}case_new.js`));
router.route("/cases/:id", () => import(`${screens}case.js`));
router.route("/cases/:id/steps/:step", () => import(`${screens}step.js`));
router.route("/cases/:id/service", () => import(`${screens}service.js`));
router.route("/cases/:id/team", () => import(`${screens}team.js`));
router.route("/to-sign", () => import(`${screens}to_sign.js`));
router.route("/outbox", () => import(`${screens}outbox.js`));
router.route("/settings", () => import(`${screens}settings.js`));
router.route("/import", () => import(`${screens}import.js`));

// Screens other domains add (supervisor review, ...): each module registers its own routes.
const EXTENSIONS = [
  "./screens/review/routes.js",
  "./role_tabs.js", // admin and my-passkeys screens; review/admin tabs by role
];

async function boot() {
  const css = document.getElementById("app-css");
  if (css) css.media = "all";
  // An installed app (its worker answers from the cache at no round-trip cost) loads the screen the address
  // names while it starts; a first visit does not: it would compete with the sign-in screen on the network.
  if (navigator.serviceWorker?.controller) router.preload();
  // One round: strings, the device's stamps, who is signed in (a first start asks the server), the other
  // domains' routes and any recording a crash cut short are independent of one another.
  const cutShort = db.all("recordings");
  await Promise.all([i18n.load(), stamps.init(), session.restore(), cutShort, ...EXTENSIONS.map((m) => import(m).catch(() => null))]);
  document.getElementById("app").replaceChildren(
    renderStatusBar(),
    h("main", { id: "screen", tabindex: "-1" }),
  );
  // Recordings a crash cut short are queued before any screen can show or resume their session (the
  // recorder's code is loaded only when there is one: most starts have none).
  if ((await cutShort).length) await (await import("./capture/recorder.js")).recoverRecordings();
  await router.start(document.getElementById("screen"), async () => Boolean(session.current()));
  document.documentElement.dataset.ready = "1";
  performance.mark("casetrail:ready"); // the moment, for scripts/bench_pwa.py (a poll would add its own lag)
  // The outbox after ready: a first visit's sign-in screen does not wait for the upload code.
  const outbox = await import("./outbox.js");
  outbox.start();
  outbox.events.addEventListener("signin-needed", () => router.go("/signin"));
  // Only now: installing the worker downloads the whole shell, which must not compete with the first screen;
  // the update prompt and the location offer are not part of the first screen either.
  const [update, permissions] = await Promise.all([import("./update.js"), import("./permissions.js")]);
  update.registerServiceWorker();
  // Location only for a signed-in officer, and only once told why (never on the sign-in screen).
  const locate = () => session.current() && !/^#\/(signin|register)/.test(location.hash) && permissions.offerLocation();
  locate();
  addEventListener("hashchange", locate);
}

boot().catch((e) => {
  document.getElementById("app").textContent = `CaseTrail: ${e.message}`;
  throw e;
});
