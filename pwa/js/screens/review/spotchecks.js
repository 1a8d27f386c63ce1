// The inspection ledger (检查台帐): drawn recordings per officer and month; replay and record a finding.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { L, directory, entryLink, page, short, statusBadge, when, who } from "./common.js";

const CHECKS = {
  start_statement: ["开头告知录音录像", "Start statement given"],
  complete_without_gaps: ["全程连续无中断", "Complete, no gaps"],
  picture_and_sound_clear: ["画面声音清晰", "Picture and sound clear"],
  certificate_shown: ["出示执法证件", "Certificate shown"],
  procedure_lawful: ["程序合法", "Procedure lawful"],
  uploaded_in_time: ["按时上传", "Uploaded in time"],
};

function played(el) {
  let total = 0;
  for (let i = 0; i < (el?.played?.length || 0); i++) total += el.played.end(i) - el.played.start(i);
  return Math.round(total * 10) / 10;
}

function findingForm(row, done) {
  const player = row.sha256
    ? h(row.kind === "media.audio" ? "audio" : "video", { controls: true, preload: "metadata", src: `/api/blobs/${row.sha256}`, class: "spot-player" })
    : h("a", { href: entryLink(row.case_id, row.entry_hash) }, L("在时间线中回放", "Replay in the timeline"));
  const form = h("form", { class: "card finding", onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const checks = Object.fromEntries(Object.keys(CHECKS).map((k) => [k, data.get(k) === "on"]));
    try {
      await json("/api/review/spot-checks/findings", { method: "POST", body: {
        client_id: crypto.randomUUID(), draw: row.draw, entry_hash: row.entry_hash, outcome: data.get("outcome"),
        checks, notes: data.get("notes") || "", replayed_s: player.played ? played(player) : null,
      } });
      toast(L("检查结果已记录", "Finding recorded"));
      done();
    } catch (err) {
      toast(err.message, "error");
    }
  } },
    player,
    ...Object.entries(CHECKS).map(([k, [zh, en]]) => h("label", { class: "check" }, h("input", { type: "checkbox", name: k }), L(zh, en))),
    h("label", {}, L("结论", "Outcome"), h("select", { name: "outcome" },
      h("option", { value: "compliant" }, L("合格", "Compliant")), h("option", { value: "deficient" }, L("存在问题", "Deficient")), h("option", { value: "serious" }, L("严重问题", "Serious")))),
    h("label", {}, L("说明", "Notes"), h("textarea", { name: "notes", rows: 2 })),
    h("button", { class: "primary", type: "submit" }, L("记录检查结果", "Record finding")));
  return form;
}

// What became of a random-draw commitment the officer did not honour, in words (no ids).
function drawFate(row) {
  if (row.status === "abandoned") return L(`已放弃，未公布结果（理由：${row.reason || "未说明"}）`, `Abandoned without a reveal (reason: ${row.reason || "none given"})`);
  if (row.status === "superseded") return L("未公布结果即重新承诺（可能重新抽取）", "Committed again before revealing (possible re-draw)");
  return L(`承诺后逾期未公布抽取结果（应于${when(row.reveal_due)}前公布）`, `Not revealed by ${when(row.reveal_due)}`);
}

/** Random draws an officer abandoned or left unrevealed, on any case: a draw may have been shopped for. */
function drawFlags(flags, dir) {
  return h("div", { class: "card", id: "draw-flags" },
    h("h2", {}, L("双随机抽取承诺异常", "Random draws not honoured")),
    flags.length ? h("table", {},
      h("thead", {}, h("tr", {}, ...[L("执法人员", "Officer"), L("案件", "Case"), L("抽查计划", "Plan"), L("承诺时间", "Committed"), L("情况", "What happened")].map((x) => h("th", {}, x)))),
      h("tbody", {}, flags.map((row) => h("tr", { dataset: { status: row.status } },
        h("td", {}, who(dir, row.officer)),
        h("td", {}, h("a", { href: entryLink(row.case_id, row.commit_entry) }, row.case_title || L("（未命名案件）", "(untitled case)"))),
        h("td", {}, row.plan || L("未填写", "not named")), h("td", {}, when(row.committed_at)),
        h("td", {}, h("span", { class: "badge bad" }, drawFate(row)))))))
      : h("p", { class: "muted" }, L("没有放弃或逾期未公布的随机抽取。", "No random draw was abandoned or left unrevealed.")));
}

export async function render(_params, query) {
  const period = query.get("period") || "";
  const [rows, dir, flags] = await Promise.all([
    json(`/api/review/spot-checks${period ? `?period=${period}` : ""}`), directory(),
    json("/api/review/spot-checks/draws").catch(() => []),
  ]);
  const detail = h("div", { id: "finding" });
  const reload = () => dispatchEvent(new HashChangeEvent("hashchange"));
  const draw = h("form", { class: "row", onsubmit: async (e) => {
    e.preventDefault();
    const value = new FormData(e.target).get("period");
    try {
      await json("/api/review/spot-checks/draw", { method: "POST", body: { period: value } });
      location.hash = `/review/spot-checks?period=${value}`;
    } catch (err) {
      toast(err.message, "error");
    }
  } }, h("input", { name: "period", type: "month", value: period, required: true, style: "max-width:200px" }), h("button", { type: "submit" }, L("抽取本月样本", "Draw the month's sample")));
  return page(L("音像记录抽查台帐", "Spot-check ledger"), draw,
    h("div", { class: "cols" },
      h("div", { class: "scroll" }, h("table", { id: "spot-checks" },
        h("thead", {}, h("tr", {}, ...[L("月份", "Month"), L("执法人员", "Officer"), L("记录", "Recording"), L("抽取", "Drawn"), L("期限", "Due"), L("状态", "Status"), ""].map((x) => h("th", {}, x)))),
        h("tbody", {}, rows.map((row) => h("tr", { dataset: { entry: row.entry_hash, status: row.status } },
          h("td", {}, row.period), h("td", {}, who(dir, row.officer)),
          h("td", {}, h("a", { href: entryLink(row.case_id, row.entry_hash) }, `${row.kind || ""} ${short(row.entry_hash)}`)),
          h("td", { class: "num" }, `${row.quota}/${row.population}`), h("td", {}, when(row.due_at)),
          h("td", {}, statusBadge(row.status), row.finding ? h("div", { class: "muted" }, row.finding.outcome) : null),
          h("td", {}, row.status === "done" ? null : h("button", { class: "check-it", onclick: () => detail.replaceChildren(findingForm(row, reload)) }, L("回放并检查", "Replay and check")))))))),
      detail),
    drawFlags(flags, dir));
}
