// Retention and holds for supervisors, approvers and archivists: what is due for disposal, the holds
// in force (place / release with a reason), and disposal batches (propose, approve with a passkey, carry out).
import { json } from "../../api.js";
import { ask, h, toast } from "../../dom.js";
import * as router from "../../router.js";
import { short, when } from "./format.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";
import { signWithPasskey } from "./sign.js";
import { L } from "../../i18n.js";

const CLASSES = { evidence_av: ["证据音像", "AV evidence"], raw_av: ["未关联音像", "unlinked AV"], patrol_av: ["日常巡查音像", "patrol AV"], dossier: ["案卷材料", "dossier"] };
const TRIGGERS = { supervisor: ["人工决定", "by a supervisor"], dispute: ["争议", "dispute"], complaint: ["投诉", "complaint"], obstruction_or_assault: ["阻碍执法", "obstruction"], emergency: ["紧急情况", "emergency"] };
const named = (table, v) => L(...(table[v] || [v, v]));
const STATUS = { waiting: ["待审批", "waiting for approval", "warn"], approved: ["已批准，待执行", "approved, not yet carried out", "ok"], disposed: ["已销毁", "disposed", ""] };

async function act(button, work, done) {
  button.disabled = true;
  try {
    await work();
    toast(done);
    await router.render();
  } catch (e) {
    button.disabled = false;
    if (e.message) toast(e.message, "error");
  }
}

const reasonOrStop = async (title) => {
  const reason = await ask(title, { label: L("原因", "Reason") });
  if (!reason) throw new Error("");
  return reason;
};

export async function render() {
  const { current } = await import("../../session.js");
  const me = current();
  const roles = new Set(me?.roles || []);
  const [rows, holds, batches, cases, dir] = await Promise.all([
    json("/api/review/retention"), json("/api/review/holds"), json("/api/review/disposals"),
    json("/api/review/cases").catch(() => []), directory(),
  ]);
  const titles = new Map(cases.map((c) => [c.case_id, c.title]));
  const caseName = (id) => (id.startsWith("agency:") ? L("本机关（日常巡查）", "Agency (patrols)") : titles.get(id) || id.slice(0, 8));
  const now = Date.now();
  const due = rows.filter((r) => r.due_at && new Date(r.due_at).getTime() <= now && !r.held_by.length);
  const held = rows.filter((r) => r.held_by.length);
  const dueTable = due.length ? h("table", { id: "due" },
    h("thead", {}, h("tr", {}, ...[L("文件", "File"), L("案件", "Case"), L("类别", "Class"), L("到期", "Due")].map((x) => h("th", {}, x)))),
    h("tbody", {}, due.map((r) => h("tr", {}, h("td", { class: "mono" }, short(r.sha256)),
      h("td", {}, r.case_id.startsWith("agency:") ? caseName(r.case_id) : h("a", { href: `#/review/cases/${r.case_id}?entry=${r.entry_hash}` }, caseName(r.case_id))),
      h("td", {}, named(CLASSES, r.record_class)), h("td", {}, when(r.due_at))))))
    : h("p", { class: "muted" }, L("目前没有到期待销毁的文件。", "Nothing is past its retention period."));

  const propose = h("button", { class: "primary", id: "propose-batch", disabled: !due.length || !["archivist", "supervisor", "admin"].some((r) => roles.has(r)), onclick: (e) => act(e.target, async () => {
    const reason = await reasonOrStop(L("销毁清单的理由", "Why this batch is disposed"));
    await json("/api/review/disposals", { method: "POST", body: { client_id: crypto.randomUUID(), reason } });
  }, L("销毁清单已提交审批", "Disposal batch sent for approval")) }, L("生成销毁清单", "Propose a disposal batch"));

  const holdForm = h("form", { class: "row", id: "place-hold", onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    act(e.target.querySelector("button"), () => json(`/api/cases/${data.get("case_id")}/holds`, { method: "POST", body: { client_id: crypto.randomUUID(), reason: data.get("reason") } }),
      L("已设置长期保存", "Hold placed"));
  } },
  h("label", {}, L("案件", "Case"), h("select", { name: "case_id", required: true }, h("option", { value: "" }, L("选择案件…", "Choose a case…")), cases.map((c) => h("option", { value: c.case_id }, c.title)))),
  h("label", {}, L("原因", "Reason"), h("input", { name: "reason", required: true, placeholder: L("如：当事人已提起诉讼", "e.g. the party went to court") })),
  h("button", { class: "primary", type: "submit" }, L("设置长期保存", "Place a hold")));

  const holdTable = holds.length ? h("table", { id: "holds" },
    h("thead", {}, h("tr", {}, ...[L("案件", "Case"), L("原因", "Reason"), L("设置人", "By"), L("时间", "When"), ""].map((x) => h("th", {}, x)))),
    h("tbody", {}, holds.map((x) => h("tr", { dataset: { hold: x.hold } },
      h("td", {}, h("a", { href: `#/review/cases/${x.case_id}` }, caseName(x.case_id)), x.blobs.length ? h("div", { class: "muted" }, `${x.blobs.length} ${L("个文件", "files")}`) : null),
      h("td", {}, `${named(TRIGGERS, x.trigger)}${x.reason ? `：${x.reason}` : ""}`), h("td", {}, who(dir, x.placed_by)), h("td", {}, when(x.placed_at)),
      h("td", {}, h("button", { onclick: (e) => act(e.target, async () => {
        const reason = await reasonOrStop(L("解除长期保存的原因", "Why the hold is released"));
        await json(`/api/cases/${x.case_id}/holds/${x.hold}/release`, { method: "POST", body: { client_id: crypto.randomUUID(), reason } });
      }, L("已解除长期保存", "Hold released")) }, L("解除", "Release")))))))
    : h("p", { class: "muted" }, L("没有长期保存中的案件。", "No holds in force."));

  const batchTable = batches.length ? h("table", { id: "batches" },
    h("thead", {}, h("tr", {}, ...[L("清单", "Batch"), L("文件数", "Files"), L("理由", "Reason"), L("提出", "Proposed"), L("状态", "State"), ""].map((x) => h("th", {}, x)))),
    h("tbody", {}, batches.map((b) => {
      const [zh, en, cls] = STATUS[b.status];
      const mine = b.proposed_by === me?.staff_id;
      return h("tr", { dataset: { batch: b.batch, status: b.status } },
        h("td", { class: "mono" }, short(b.batch)), h("td", { class: "num" }, b.blobs.length), h("td", {}, b.reason || ""),
        h("td", {}, `${who(dir, b.proposed_by)} · ${when(b.proposed_at)}`),
        h("td", {}, h("span", { class: `badge ${cls}` }, L(zh, en)), b.approved_by ? h("div", { class: "muted" }, `${L("批准人", "approved by")} ${who(dir, b.approved_by)}`) : null),
        h("td", {},
          b.status === "waiting" && roles.has("approver") && !mine
            ? h("button", { class: "primary sign", onclick: (e) => act(e.target, () => signWithPasskey(b.batch, "approve_disposal"), L("已用通行密钥批准", "Approved with your passkey")) }, L("通行密钥批准", "Approve with passkey")) : null,
          b.status === "approved" && ["archivist", "supervisor", "admin"].some((r) => roles.has(r))
            ? h("button", { class: "primary", onclick: (e) => act(e.target, () => json(`/api/review/disposals/${b.batch}/execute`, { method: "POST" }), L("已销毁并留下销毁记录", "Disposed; tombstones recorded")) }, L("执行销毁", "Carry out")) : null));
    })))
    : h("p", { class: "muted" }, L("还没有销毁清单。", "No disposal batches yet."));

  return page(L("保存期限与销毁", "Retention and disposal"),
    h("h2", {}, `${L("到期待销毁", "Due for disposal")}（${due.length}）`), dueTable, h("div", { class: "row" }, propose),
    h("h2", {}, `${L("长期保存", "Holds")}（${holds.length}）`), holdTable, holdForm,
    held.length ? h("p", { class: "muted" }, `${held.length} ${L("个文件因长期保存不会被销毁。", "files are kept because of holds.")}`) : null,
    h("h2", {}, L("销毁清单", "Disposal batches")), batchTable);
}
