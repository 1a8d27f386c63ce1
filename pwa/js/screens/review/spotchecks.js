// The inspection ledger (检查台帐): drawn recordings per officer and month; replay and record a finding.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { entryLink, statusBadge, when } from "./format.js";
import { kindName, loadKindTitles } from "./names.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";
import { L } from "../../i18n.js";
import { knowDuration } from "./player.js";

const OUTCOMES = { compliant: ["合格", "Compliant", "ok"], deficient: ["存在问题", "Deficient", "warn"], serious: ["严重问题", "Serious", "bad"] };
// Spot-check periods are calendar months counted in UTC, as the server draws them.
const thisMonth = () => new Date().toISOString().slice(0, 7);

/** A finding in words: the outcome, each check passed or not, the notes, who checked and how long they watched. */
function findingWords(f, dir) {
  const [zh, en, cls] = OUTCOMES[f.outcome] || [f.outcome, f.outcome, ""];
  const checks = Object.entries(f.checks || {}).filter(([k]) => CHECKS[k]);
  return h("div", { class: "spot-result" },
    h("span", { class: `badge ${cls}` }, L(zh, en)),
    checks.length ? h("ul", { class: "checks" }, checks.map(([k, ok]) => h("li", {}, `${ok ? "✔" : "✘"} ${L(...CHECKS[k])}`))) : null,
    f.notes ? h("div", {}, `${L("说明：", "Notes: ")}${f.notes}`) : null,
    h("div", { class: "muted" }, `${who(dir, f.actor)} · ${when(f.received_at)}${f.replayed_s != null ? ` · ${L("回放", "watched")} ${f.replayed_s} ${L("秒", "s")}` : ""}`));
}

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
  const audio = (row.media_type || "").startsWith("audio/") || row.kind === "media.audio";
  const player = row.sha256
    ? knowDuration(h(audio ? "audio" : "video", { controls: true, preload: "metadata", src: `/api/blobs/${row.sha256}`, class: "spot-player" }))
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
  // This month unless another is asked for; "all" lists every month's draws.
  const period = query.get("period") || thisMonth();
  const [rows, dir, flags] = await Promise.all([
    json(`/api/review/spot-checks${period === "all" ? "" : `?period=${encodeURIComponent(period)}`}`), directory(),
    json("/api/review/spot-checks/draws").catch(() => []),
  ]);
  await loadKindTitles(rows.map((r) => r.kind));
  const detail = h("div", { id: "finding" });
  const reload = () => dispatchEvent(new HashChangeEvent("hashchange"));
  const draw = h("form", { class: "row month-form", onsubmit: async (e) => {
    e.preventDefault();
    const value = new FormData(e.target).get("period") || thisMonth();
    try {
      await json("/api/review/spot-checks/draw", { method: "POST", body: { period: value } });
      location.hash = `/review/spot-checks?period=${value}`;
    } catch (err) {
      toast(err.message, "error");
    }
  } },
    h("label", { class: "check" }, L("月份", "Month"), " ", h("input", { name: "period", type: "month", value: period === "all" ? thisMonth() : period, required: true })),
    h("button", { type: "submit", class: "primary" }, L("抽取该月样本", "Draw that month's sample")),
    h("a", { href: period === "all" ? `#/review/spot-checks?period=${thisMonth()}` : "#/review/spot-checks?period=all" },
      period === "all" ? L("只看本月", "This month only") : L("查看全部月份", "Every month")));
  const summary = rows.length
    ? L(`${period === "all" ? "全部月份" : period}：抽取 ${rows.length} 条，已检查 ${rows.filter((r) => r.status === "done").length} 条，逾期未查 ${rows.filter((r) => r.status === "overdue").length} 条。`,
      `${period === "all" ? "All months" : period}: ${rows.length} drawn, ${rows.filter((r) => r.status === "done").length} checked, ${rows.filter((r) => r.status === "overdue").length} overdue.`)
    : L(`${period === "all" ? "" : period}还没有抽取样本：点“抽取该月样本”。`, `No sample drawn${period === "all" ? "" : ` for ${period}`} yet: press “Draw that month's sample”.`);
  return page(L("音像记录抽查台帐", "Spot-check ledger"), draw, h("p", { id: "spot-summary" }, summary),
    h("div", { class: "cols" },
      h("div", { class: "scroll" }, h("table", { id: "spot-checks" },
        h("thead", {}, h("tr", {}, ...[L("月份", "Month"), L("执法人员", "Officer"), L("记录", "Recording"), L("抽取", "Drawn"), L("期限", "Due"), L("状态", "Status"), ""].map((x) => h("th", {}, x)))),
        h("tbody", {}, rows.map((row) => h("tr", { dataset: { entry: row.entry_hash, status: row.status } },
          h("td", {}, row.period), h("td", {}, who(dir, row.officer)),
          h("td", {}, row.case_id.startsWith("agency:") ? kindName(row.kind) : h("a", { href: entryLink(row.case_id, row.entry_hash) }, kindName(row.kind))),
          h("td", { class: "num" }, L(`${row.population} 条中抽 ${row.quota} 条`, `${row.quota} of ${row.population}`)), h("td", {}, when(row.due_at)),
          h("td", {}, statusBadge(row.status), row.finding ? findingWords(row.finding, dir) : null),
          h("td", {}, row.status === "done" ? null : h("button", { class: "check-it", onclick: () => detail.replaceChildren(findingForm(row, reload)) }, L("回放并检查", "Replay and check")))))))),
      detail),
    drawFlags(flags, dir));
}
