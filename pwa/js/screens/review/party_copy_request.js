// A party's request, through their service link, to view or copy records of their case (hebei §17,
// mingshan §34, zhengxiang §32): what the head reads before approving or refusing with a reason.
import { h } from "../../dom.js";
import { when } from "./format.js";
import { kindName } from "./names.js";
import { t } from "../../i18n.js";

export const KIND = "party.copy_requested";

/** The party's request in words: view or copy, which records, what for. */
export function partyAsked(asks) {
  const what = (asks.items || []).map((i) => `${kindName(i.kind)}（${when(i.received_at)}）`).join("、");
  const verb = asks.scope === "party_view" ? t("review.copies.party_asks_view") : t("review.copies.party_asks_copies");
  return h("div", { class: "asks" },
    h("div", {}, `${verb}${what}`),
    asks.purpose ? h("div", { class: "muted" }, `${t("review.approvals.purpose")}${asks.purpose}`) : null,
    h("div", { class: "muted" }, t("review.copies.records_confidential_law_never")));
}

/** A party's request is approved or refused; there is nothing to send back for correction. */
export function offers(item, meaning) {
  return item.kind !== KIND || meaning !== "return";
}
