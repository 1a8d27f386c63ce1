// Entries waiting for a passkey approval: legal review, the head's approval, discussion minutes
// (each participant signs), emergency starts, disposal batches, export requests. The challenge is the entry hash.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { L, directory, entryLink, kindName, loadKindTitles, page, short, signWithPasskey, when, who } from "./common.js";
import { SIGN_MEANINGS } from "./timeline.js";
import { KIND as PARTY_REQUEST, offers, partyAsked } from "./party_copy_request.js";

// An approver approves, refuses (final for that record: the officer must submit a new one) or
// returns it for correction; a refusal or a return says why. Each is a passkey signature.
const DECISIONS = {
  approve: { label: ["批准", "Approve"], done: ["已批准", "Approved"], cls: "ok" },
  refuse: { label: ["不予批准", "Refuse"], done: ["不予批准", "Refused"], cls: "bad" },
  return: { label: ["退回补正", "Return for correction"], done: ["已退回补正", "Returned for correction"], cls: "warn" },
};

async function decide(item, row, meaning) {
  const reasonBox = row.querySelector(".reason");
  const reason = reasonBox?.value.trim() || "";
  if (meaning !== "approve" && !reason) {
    reasonBox?.focus();
    return toast(L("请填写不予批准或退回的理由", "Give the reason for refusing or returning"), "error");
  }
  const buttons = [...row.querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await signWithPasskey(item.case_id, item.entry_hash, meaning, reason || undefined);
    const d = DECISIONS[meaning];
    row.querySelector(".state").replaceChildren(h("span", { class: `badge ${d.cls}` }, L(...d.done)));
    row.querySelector(".decide").replaceChildren(reason ? h("span", { class: "muted" }, reason) : "");
    toast(L("已用通行密钥签名", "Signed with your passkey"));
  } catch (e) {
    buttons.forEach((b) => { b.disabled = false; });
    toast(e.message, "error");
  }
}

async function approve(item, button) {
  button.disabled = true;
  try {
    await signWithPasskey(item.case_id, item.entry_hash, SIGN_MEANINGS[item.kind] || "approve");
    button.closest("tr").querySelector(".state").replaceChildren(h("span", { class: "badge ok" }, L("已签名", "Signed")));
    button.remove();
    toast(L("已用通行密钥签名", "Signed with your passkey"));
  } catch (e) {
    button.disabled = false;
    toast(e.message, "error");
  }
}

function actions(item, me) {
  // Nobody approves their own request: the server refuses it, so do not offer it.
  if (item.actor === me) return h("span", { class: "muted" }, L("本人提交", "Yours"));
  const meaning = SIGN_MEANINGS[item.kind] || "approve";
  if (meaning !== "approve") {
    return h("button", { class: "primary", onclick: (e) => approve(item, e.target) }, L("通行密钥审批", "Approve with passkey"));
  }
  const cell = h("div", { class: "decide" },
    h("textarea", { class: "reason", rows: 2, "aria-label": L("理由（不予批准或退回时必填）", "Reason (needed to refuse or return)"),
      placeholder: L("理由（不予批准或退回时必填）", "Reason (needed to refuse or return)") }),
    ...Object.entries(DECISIONS).filter(([m]) => offers(item, m)).map(([m, d]) => h("button", {
      class: m === "approve" ? "primary" : "", dataset: { decision: m },
      onclick: (e) => decide(item, e.target.closest("tr"), m),
    }, L(...d.label))));
  return cell;
}

/** What a copy or export request asks for, in words: which records, for whom, why. */
function asked(asks) {
  const what = asks.scope === "export" ? L("整个案卷导出", "The whole dossier")
    : (asks.items || []).map((i) => `${kindName(i.kind)}（${when(i.received_at)}）`).join("、");
  return h("div", { class: "asks" },
    h("div", {}, `${asks.scope === "copy" ? L("申请复制：", "Copy of: ") : L("申请导出：", "Export: ")}${what}`),
    asks.recipient ? h("div", {}, `${L("交给：", "For: ")}${asks.recipient}`) : null,
    asks.purpose ? h("div", { class: "muted" }, `${L("用途：", "Purpose: ")}${asks.purpose}`) : null);
}

export async function render() {
  const { current } = await import("../../session.js");
  const me = current()?.staff_id;
  const [items, dir, cases] = await Promise.all([
    json("/api/review/approvals"), directory(), json("/api/review/cases").catch(() => []),
  ]);
  await loadKindTitles([...items.map((i) => i.kind), ...items.flatMap((i) => (i.asks?.items || []).map((x) => x.kind))]);
  const titles = new Map(cases.map((c) => [c.case_id, c.title]));
  const where = (item) => {
    if (item.case_id.startsWith("agency:")) return item.kind === "retention.batch" ? h("a", { href: "#/review/retention" }, L("本机关（销毁清单）", "Agency (disposal batch)")) : L("本机关", "Agency");
    return h("a", { href: entryLink(item.case_id, item.entry_hash) }, titles.get(item.case_id) || item.case_id.slice(0, 8));
  };
  return page(L("待审批", "Approvals waiting"),
    items.length ? h("table", { id: "approvals" },
      h("thead", {}, h("tr", {}, ...[L("事项", "Item"), L("案件", "Case"), L("提交人", "By"), L("时间", "When"), L("状态", "State"), ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, items.map((item) => h("tr", { dataset: { entry: item.entry_hash, kind: item.kind } },
        h("td", { title: item.kind }, kindName(item.kind), item.kind === PARTY_REQUEST ? partyAsked(item.asks) : item.asks ? asked(item.asks) : h("div", { class: "mono" }, short(item.entry_hash))),
        h("td", {}, where(item)),
        h("td", {}, who(dir, item.actor)), h("td", {}, when(item.received_at)),
        h("td", { class: "state" }, h("span", { class: "badge warn" }, L("待签名", "Waiting"))),
        h("td", {}, actions(item, me))))))
      : h("p", { class: "muted" }, L("没有待审批事项。", "Nothing is waiting for approval.")));
}
