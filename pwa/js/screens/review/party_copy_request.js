// A party's request, through their service link, to view or copy records of their case (hebei §17,
// mingshan §34, zhengxiang §32): what the head reads before approving or refusing with a reason.
import { h } from "../../dom.js";
import { when } from "./format.js";
import { kindName } from "./names.js";
import { L } from "../../i18n.js";

export const KIND = "party.copy_requested";

/** The party's request in words: view or copy, which records, what for. */
export function partyAsked(asks) {
  const what = (asks.items || []).map((i) => `${kindName(i.kind)}（${when(i.received_at)}）`).join("、");
  const verb = asks.scope === "party_view" ? L("当事人申请查阅：", "The party asks to view: ") : L("当事人申请复制：", "The party asks for copies of: ");
  return h("div", { class: "asks" },
    h("div", {}, `${verb}${what}`),
    asks.purpose ? h("div", { class: "muted" }, `${L("用途：", "Purpose: ")}${asks.purpose}`) : null,
    h("div", { class: "muted" }, L("依法应保密的记录不会提供；批准后当事人可在 7 日内通过送达链接下载。",
      "Records confidential by law are never handed over; once approved the party may download for 7 days.")));
}

/** A party's request is approved or refused; there is nothing to send back for correction. */
export function offers(item, meaning) {
  return item.kind !== KIND || meaning !== "return";
}
