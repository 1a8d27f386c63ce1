// This device's push notifications switch (settings): subscribes through the review screens' enablePush().
import { h, toast } from "./dom.js";
import { t } from "./i18n.js";

const supported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

async function subscribed() {
  if (!supported() || Notification.permission !== "granted") return false;
  // No worker yet (first start): not subscribed, and do not wait for one.
  const reg = await navigator.serviceWorker.getRegistration();
  return Boolean(reg && (await reg.pushManager.getSubscription()));
}

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
      // Loaded on use: the helpers live with the review screens (which subscribe the same way).
      const { enablePush, disablePush } = await import("./screens/review/common.js");
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
