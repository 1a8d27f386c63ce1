// Service worker registration and the "new version" prompt: a waiting worker takes over only when asked.
import { h } from "./dom.js";
import { t } from "./i18n.js";

function prompt(reg) {
  if (document.getElementById("update-banner")) return;
  const banner = h(
    "div",
    { id: "update-banner", class: "banner", role: "status" },
    h("span", {}, t("update.available")),
    h("button", {
      class: "primary",
      onclick: () => reg.waiting?.postMessage({ type: "SKIP_WAITING" }),
    }, t("update.reload")),
  );
  document.body.append(banner);
}

export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  let reloading = false;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!hadController || reloading) return; // first install: nothing to reload
    reloading = true;
    location.reload();
  });
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then((reg) => {
    if (reg.waiting && navigator.serviceWorker.controller) prompt(reg);
    reg.addEventListener("updatefound", () => {
      const worker = reg.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) prompt(reg);
      });
    });
    setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
  });
}
