// Service worker registration and the "new version" prompt: a waiting worker takes over only when asked.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const CHECK_EVERY_MS = 60 * 60 * 1000;
const RECHECK_AFTER_MS = 5 * 60 * 1000; // coming back to the app checks again, but not on every glance
let registration = null;
let lastCheck = 0;

function prompt(reg) {
  if (document.getElementById("update-banner")) return;
  const banner = h(
    "div",
    { id: "update-banner", class: "banner", role: "status" },
    h("span", {}, t("update.available")),
    h("button", {
      class: "primary",
      id: "update-now",
      onclick: () => {
        // Another tab may have switched to the new version already: then there is nothing left waiting.
        if (reg.waiting) reg.waiting.postMessage({ type: "SKIP_WAITING" });
        else location.reload();
      },
    }, t("update.reload")),
  );
  document.body.append(banner);
}

function watchInstall(reg) {
  const worker = reg.installing;
  worker?.addEventListener("statechange", () => {
    if (worker.state === "installed" && navigator.serviceWorker.controller) prompt(reg);
  });
}

/** Ask the server for a new version now (the app also asks hourly and when it comes back to the front). */
export async function checkForUpdate() {
  if (!registration) return;
  lastCheck = Date.now();
  await registration.update().catch(() => {});
}

/** The version of the service worker controlling this page, or null. */
export function version() {
  const worker = navigator.serviceWorker?.controller;
  if (!worker) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (e) => resolve(e.data?.version ?? null);
    worker.postMessage({ type: "VERSION" }, [channel.port2]);
    setTimeout(() => resolve(null), 2000);
  });
}

export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  // The first worker only claims a page already running from the network: no reload. A later one
  // replaces the shell under running code, so every open page reloads onto it rather than mix versions.
  let controlled = Boolean(navigator.serviceWorker.controller);
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!controlled) {
      controlled = true;
      return;
    }
    if (reloading) return;
    reloading = true;
    location.reload();
  });
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then((reg) => {
    registration = reg;
    lastCheck = Date.now();
    if (reg.waiting && navigator.serviceWorker.controller) prompt(reg);
    watchInstall(reg);
    reg.addEventListener("updatefound", () => watchInstall(reg));
    setInterval(checkForUpdate, CHECK_EVERY_MS);
    const soon = () => Date.now() - lastCheck > RECHECK_AFTER_MS && checkForUpdate();
    document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && soon());
    addEventListener("online", soon);
  }).catch(() => {}); // no worker (private mode, old browser): the app still runs online
}
