// Boot: strings, stamps, session, routes, the outbox and the service worker with its update prompt.
import { h } from "./dom.js";
import * as i18n from "./i18n.js";
import * as outbox from "./outbox.js";
import * as router from "./router.js";
import * as session from "./session.js";
import * as stamps from "./stamps.js";
import { recoverRecordings } from "./capture/recorder.js";
import { offerLocation } from "./permissions.js";
import { renderStatusBar } from "./statusbar.js";
import { registerServiceWorker } from "./update.js";

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
  registerServiceWorker();
  await Promise.all([i18n.load(), stamps.init()]);
  await Promise.all([session.restore(), ...EXTENSIONS.map((m) => import(m).catch(() => null))]);
  document.getElementById("app").replaceChildren(
    renderStatusBar(),
    h("main", { id: "screen", tabindex: "-1" }),
  );
  // Recordings a crash cut short are queued before any screen can show or resume their session.
  await recoverRecordings();
  await router.start(document.getElementById("screen"), async () => Boolean(session.current()));
  document.documentElement.dataset.ready = "1";
  // Location only for a signed-in officer, and only once told why (never on the sign-in screen).
  const locate = () => session.current() && !/^#\/(signin|register)/.test(location.hash) && offerLocation();
  locate();
  addEventListener("hashchange", locate);
  outbox.start();
  outbox.events.addEventListener("signin-needed", () => router.go("/signin"));
}

boot().catch((e) => {
  document.getElementById("app").textContent = `CaseTrail: ${e.message}`;
  throw e;
});
