// The outbox as the officer sees it: every item with its state, upload progress and, when refused, why and
// what to do; hashes and check results stay in the verification details.
import { h, toast } from "../dom.js";
import { itemProgress, mediaPreview, waitsForRefusedCase } from "../forms/item_view.js";
import { findingName, notableFindings } from "../findings.js";
import { verifyDetails } from "../forms/plain.js";
import { refusedActions } from "../forms/refused.js";
import { t } from "../i18n.js";
import * as outbox from "../outbox.js";
import { screenSignal } from "../router.js";
import { stateBadge } from "./case.js";

function row(i, all) {
  const findings = notableFindings(i.result?.findings);
  return h(
    "div",
    { class: "card outbox-item", dataset: { id: i.id, state: i.state, type: i.type } },
    h("div", { class: "row" }, mediaPreview(i), h("b", { class: "grow" }, i.label || t(`type.${i.type}`)), stateBadge(i)),
    h("div", { class: "muted" }, `${t(`type.${i.type}`)} · ${new Date(i.created_at).toLocaleString()}${i.size ? ` · ${Math.round(i.size / 1024)} KB` : ""}${i.attempts ? ` · ${t("outbox.attempts", { n: i.attempts })}` : ""}`),
    itemProgress(i),
    findings.length ? h("div", { class: "findings" }, findings.map((f) => h("div", { class: "badge warn" }, findingName(f)))) : null,
    waitsForRefusedCase(i, all) ? h("div", { class: "muted waits" }, t("forms.waits_for_case")) : null,
    refusedActions(i),
    verifyDetails([
      i.result?.hash ? h("div", { class: "mono entry-hash" }, `${t("outbox.entry_hash")}: ${i.result.hash}`) : null,
      i.sha256 ? [t("forms.file_hash"), i.sha256] : null,
      i.result?.findings ? [t("forms.findings_raw"), JSON.stringify(i.result.findings)] : null,
    ]),
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
    list.replaceChildren(...items.map((i) => row(i, items)));
  };
  const signal = screenSignal();
  outbox.events.addEventListener("change", refresh, { signal });
  outbox.events.addEventListener("backoff", (e) => (info.textContent += ` · ${t("outbox.retry_in", { s: Math.round(e.detail.delay / 1000) })}`), { signal });
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
