// Entries waiting for a passkey approval: legal review, the head's approval, discussion minutes
// (each participant signs), emergency starts, disposal batches, export requests. The challenge is the entry hash.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { L, directory, entryLink, kindName, loadKindTitles, page, short, signWithPasskey, when, who } from "./common.js";
import { SIGN_MEANINGS } from "./timeline.js";

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

export async function render() {
  const { current } = await import("../../session.js");
  const me = current()?.staff_id;
  const [items, dir, cases] = await Promise.all([
    json("/api/review/approvals"), directory(), json("/api/review/cases").catch(() => []),
  ]);
  await loadKindTitles(items.map((i) => i.kind));
  const titles = new Map(cases.map((c) => [c.case_id, c.title]));
  const where = (item) => {
    if (item.case_id.startsWith("agency:")) return item.kind === "retention.batch" ? h("a", { href: "#/review/retention" }, L("本机关（销毁清单）", "Agency (disposal batch)")) : L("本机关", "Agency");
    return h("a", { href: entryLink(item.case_id, item.entry_hash) }, titles.get(item.case_id) || item.case_id.slice(0, 8));
  };
  return page(L("待审批", "Approvals waiting"),
    items.length ? h("table", { id: "approvals" },
      h("thead", {}, h("tr", {}, ...[L("事项", "Item"), L("案件", "Case"), L("提交人", "By"), L("时间", "When"), L("状态", "State"), ""].map((x) => h("th", {}, x)))),
      h("tbody", {}, items.map((item) => h("tr", { dataset: { entry: item.entry_hash, kind: item.kind } },
        h("td", { title: item.kind }, kindName(item.kind), h("div", { class: "mono" }, short(item.entry_hash))),
        h("td", {}, where(item)),
        h("td", {}, who(dir, item.actor)), h("td", {}, when(item.received_at)),
        h("td", { class: "state" }, h("span", { class: "badge warn" }, L("待签名", "Waiting"))),
        // Nobody approves their own request: the server refuses it, so do not offer it.
        h("td", {}, item.actor === me ? h("span", { class: "muted" }, L("本人提交", "Yours")) : h("button", { class: "primary", onclick: (e) => approve(item, e.target) }, L("通行密钥审批", "Approve with passkey")))))))
      : h("p", { class: "muted" }, L("没有待审批事项。", "Nothing is waiting for approval.")));
}
