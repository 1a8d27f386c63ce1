// How full this phone is: the browser's estimate as a meter, media waiting to upload, and media already
// uploaded and removed (the outbox keeps only their index), so an officer sees why space came back.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import * as outbox from "./outbox.js";

export function size(bytes) {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(0, Math.round(bytes / 1024))} KB`;
}

export async function storageMeter() {
  const est = (await navigator.storage?.estimate?.()) || {};
  const persisted = await navigator.storage?.persisted?.();
  const use = await outbox.storageUse();
  const used = est.usage || 0;
  const quota = est.quota || 0;
  return h(
    "div",
    { class: "card storage-meter", id: "storage-meter" },
    h("label", { for: "storage-used" }, t("shell.storage_title")),
    h("meter", { id: "storage-used", min: 0, max: quota || 1, value: used, high: quota * 0.8, optimum: 0 }),
    h("div", {}, t("shell.storage_used", { used: size(used), quota: size(quota) }),
      " · ", persisted ? t("settings.persisted") : t("settings.not_persisted")),
    h("div", { id: "storage-waiting" }, t("shell.storage_waiting", { n: use.waiting, size: size(use.waiting_bytes) })),
    h("div", { id: "storage-released", class: "muted" }, t("shell.storage_released", { n: use.released, size: size(use.released_bytes) })),
  );
}
