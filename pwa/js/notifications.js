// This device's push notifications switch (settings).
import { h, toast } from "./dom.js";
import { t } from "./i18n.js";
import { disablePush, enablePush, pushSupported as supported, subscribed } from "./push.js";

export function notificationToggle() {
  const box = h("input", { type: "checkbox", id: "push-toggle", name: "push" });
  const status = h("span", { class: "muted", id: "push-status" });
  const show = (on) => {
    box.checked = on;
    status.textContent = !supported() ? t("push.unsupported")
      : Notification.permission === "denied" ? t("push.denied")
      : on ? t("push.on") : t("push.off");
  };
  box.disabled = !supported();
  subscribed().then(show, () => show(false));
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      if (box.checked) show(await enablePush());
      else {
        await disablePush();
        show(false);
      }
    } catch (e) {
      show(await subscribed().catch(() => false));
      toast(`${t("push.failed")}: ${e.message}`, "error");
    } finally {
      box.disabled = !supported();
    }
  });
  return h("label", { class: "check" }, box, h("span", { class: "grow" }, t("push.toggle")), status);
}
