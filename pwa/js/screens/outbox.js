// The outbox as the officer sees it: every item with its state and, once on the timeline, its entry hash.
import { h, toast } from "../dom.js";
import { findingName, notableFindings } from "../findings.js";
import { t } from "../i18n.js";
import * as outbox from "../outbox.js";
import { stateBadge } from "./case.js";

function row(i) {
  return h(
    "div",
    { class: "card outbox-item", dataset: { id: i.id, state: i.state, type: i.type } },
    h("div", { class: "row" }, h("b", { class: "grow" }, i.label || i.type), stateBadge(i)),
    h("div", { class: "muted" }, `${t(`type.${i.type}`)} · ${new Date(i.created_at).toLocaleString()}${i.size ? ` · ${Math.round(i.size / 1024)} KB` : ""}${i.attempts ? ` · ${t("outbox.attempts", { n: i.attempts })}` : ""}`),
    i.result?.hash ? h("div", { class: "mono entry-hash" }, `${t("outbox.entry_hash")}: ${i.result.hash}`) : null,
    notableFindings(i.result?.findings).length ? h("div", { class: "muted" }, `${t("outbox.findings")}: ${notableFindings(i.result.findings).map(findingName).join("；")}`) : null,
    i.error ? h("div", { class: i.state === "rejected" ? "badge bad" : "muted" }, `${i.error.code}: ${i.error.message}`) : null,
    i.state === "rejected" ? h("button", { onclick: () => outbox.retry(i) }, t("outbox.retry")) : null,
  );
}

export async function render() {
  const list = h("div", { id: "outbox-list" });
  const info = h("p", { class: "muted", id: "outbox-info" });
  const refresh = async () => {
    if (!list.isConnected && list.childElementCount) return;
    const items = (await outbox.items()).reverse();
    const unsent = items.filter((i) => i.state !== "sent").length;
    info.textContent = unsent ? t("outbox.unsent", { n: unsent }) : t("outbox.all_sent");
    list.replaceChildren(...items.map(row));
  };
  outbox.events.addEventListener("change", refresh);
  outbox.events.addEventListener("backoff", (e) => info.isConnected && (info.textContent += ` · ${t("outbox.retry_in", { s: Math.round(e.detail.delay / 1000) })}`));
  await refresh();
  return h(
    "section",
    {},
    h("h1", {}, t("nav.outbox")),
    info,
    h("div", { class: "actions" }, h("button", { class: "primary", id: "sync-now", onclick: () => { outbox.kick(); toast(t("outbox.syncing")); } }, t("outbox.sync_now"))),
    list,
  );
}
