// Unassigned recordings: recorder files that matched no case (daily patrols, unmatched times).
// Supervisors replay them and file each under the case and step it belongs to.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { player, recordingSrc } from "./player.js";
import { short, when } from "./format.js";
import { kindName, loadKindTitles } from "./names.js";
import { page } from "./page.js";
import { directory, who, whoWithUnit } from "./people.js";
import { L } from "../../i18n.js";

function duration(a, b) {
  const s = Math.round((new Date(b) - new Date(a)) / 1000);
  if (!Number.isFinite(s) || s < 0) return "—";
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The steps of a case a recording can belong to: its records, newest last, by title and time. */
async function stepsOf(caseId) {
  const { entries } = await json(`/api/cases/${caseId}/timeline?limit=1000`);
  const records = entries.filter((e) => e.kind.startsWith("record."));
  await loadKindTitles(records.map((e) => e.kind));
  return records.map((e) => [e.hash, `#${e.seq} ${kindName(e.kind)} · ${when(e.claimed?.time || e.received_at)}`]);
}

function linkForm(rec, cases) {
  const step = h("select", { name: "for_entry" }, h("option", { value: "" }, L("（不指定环节）", "(no particular step)")));
  const caseSelect = h("select", { name: "case_id", required: true, onchange: async (e) => {
    step.replaceChildren(h("option", { value: "" }, L("（不指定环节）", "(no particular step)")));
    if (!e.target.value) return;
    try {
      for (const [value, label] of await stepsOf(e.target.value)) step.append(h("option", { value }, label));
    } catch (err) {
      toast(err.message, "error");
    }
  } },
  h("option", { value: "" }, L("选择案件…", "Choose a case…")),
  cases.map((c) => h("option", { value: c.case_id }, `${c.title}${c.number ? `（${c.number}）` : ""}`)));
  return h("form", { class: "link-recording row", onsubmit: async (e) => {
    e.preventDefault();
    const button = e.target.querySelector("button");
    button.disabled = true;
    try {
      await json(`/api/review/recordings/${rec.sha256}/links`, { method: "POST", body: {
        case_id: caseSelect.value, for_entry: step.value || null, client_id: crypto.randomUUID() } });
      const title = caseSelect.selectedOptions[0].textContent;
      e.target.closest("tr").querySelector(".state").replaceChildren(h("span", { class: "badge ok" }, L("已关联", "Linked")), " ",
        h("a", { href: `#/review/cases/${caseSelect.value}` }, title));
      e.target.remove();
      toast(L("录像已关联到案件", "Recording linked to the case"));
    } catch (err) {
      button.disabled = false;
      toast(err.message, "error");
    }
  } },
  h("label", {}, L("案件", "Case"), caseSelect), h("label", {}, L("环节", "Step"), step),
  h("button", { class: "primary", type: "submit" }, L("关联到案件", "Link to case")));
}

export async function render() {
  const [recordings, cases, dir] = await Promise.all([
    json("/api/recordings?unassigned=true"), json("/api/review/cases"), directory(),
  ]);
  const play = (r) => player(r.sha256, r.media_type || "video/", recordingSrc(r.sha256));
  return page(L("未关联录像", "Unassigned recordings"),
    h("p", { class: "muted" }, L("未匹配到任何案件的执法记录仪、固定摄像设备文件（含日常巡查）。关联到案件后，按案件的保存期限保存。",
      "Recorder and fixed-camera files that matched no case (daily patrols included). Once linked to a case they are kept as long as the case.")),
    recordings.length ? h("table", { id: "unassigned" },
      h("thead", {}, h("tr", {}, ...[L("录像", "Recording"), L("设备", "Device"), L("执法人员", "Officer"), L("录制时间", "Recorded"), L("时长", "Duration"), L("导入", "Imported"), L("关联", "Link")].map((x) => h("th", {}, x)))),
      h("tbody", {}, recordings.map((r) => h("tr", { dataset: { sha: r.sha256 } },
        h("td", {}, play(r), h("div", {}, r.filename), h("div", { class: "mono" }, short(r.sha256))),
        h("td", {}, r.device?.number || "—", r.device && !r.device.registered ? h("div", { class: "badge warn" }, L("未登记", "not registered")) : null),
        h("td", {}, whoWithUnit(dir, r.officer)),
        h("td", {}, when(r.started_at), h("div", { class: "muted" }, `— ${when(r.ended_at)}`)),
        h("td", { class: "num" }, duration(r.started_at, r.ended_at)),
        h("td", {}, when(r.imported_at), h("div", { class: "muted" }, `${who(dir, r.imported_by)}${r.computer ? ` · ${r.computer}` : ""}`),
          r.deadline?.late ? h("span", { class: "badge bad" }, `${L("逾期", "late by")} ${Math.round(r.deadline.late_by_h * 10) / 10} ${L("小时", "h")}`) : null),
        h("td", { class: "state" }, linkForm(r, cases))))))
      : h("p", { class: "muted", id: "no-unassigned" }, L("没有未关联的录像。", "No unassigned recordings.")));
}
