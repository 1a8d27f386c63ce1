// A refused outbox item, as an officer meets it: why, in Chinese, and what can be done — open it for
// correction (a record goes back to its step as a draft, a case back to the new-case form), send it again,
// or discard it. Nothing refused stays stuck, and a correction is sent as the same item, never a copy.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as router from "../router.js";

const CJK = /[\u4e00-\u9fff]/;

/** Why the server refused an item, in words an officer reads (never a code or an English sentence). */
export function refusalText(error) {
  if (!error) return t("forms.refused.generic");
  const known = `forms.refused.code.${error.code}`;
  if (t(known) !== known) return t(known);
  if (CJK.test(error.message || "")) return error.message;
  return t("forms.refused.generic");
}

/** Where a refused item is corrected, or null when it can only be sent again or discarded. */
export function correctionRoute(item) {
  if (item.type === "case") return `/cases/new?correct=${encodeURIComponent(item.id)}`;
  if (item.type === "entry" && item.draft?.step) {
    return `/cases/${encodeURIComponent(item.case_id)}/steps/${encodeURIComponent(item.draft.step)}?kind=${encodeURIComponent(item.body.kind)}`;
  }
  return null;
}

/** The refusal and its actions for one item (nothing for an item that was not refused). */
export function refusedActions(item) {
  if (item.state !== "rejected") return null;
  const route = correctionRoute(item);
  const fix = route
    ? h("button", { class: "primary", dataset: { action: "fix" }, onclick: async () => {
      if (item.type === "entry") await outbox.reopen(item);
      router.go(route);
    } }, t("forms.refused.fix"))
    : null;
  const resend = h("button", { dataset: { action: "resend" }, onclick: () => outbox.retry(item) }, t("forms.refused.resend"));
  // Two taps, not a browser dialog: the first asks, the second discards.
  const discard = h("button", { class: "danger", dataset: { action: "discard" }, onclick: async () => {
    if (!discard.dataset.armed) {
      discard.dataset.armed = "1";
      discard.textContent = t(item.type === "case" ? "forms.refused.discard_case_confirm" : "forms.refused.discard_confirm");
      return;
    }
    await outbox.discard(item);
    router.render();
  } }, t("forms.refused.discard"));
  return h("div", { class: "refused", dataset: { id: item.id } },
    h("p", { class: "refusal-reason" }, h("b", {}, `${t("forms.refused.title")}：`), refusalText(item.error)),
    h("div", { class: "row" }, fix, route ? null : resend, discard));
}
