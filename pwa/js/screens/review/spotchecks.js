// The inspection ledger (检查台帐): drawn recordings per officer and month; replay and record a finding.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { entryLink, statusBadge, when } from "./format.js";
import { kindName, loadKindTitles } from "./names.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";
import { t, tOr } from "../../i18n.js";
import { knowDuration } from "../../media_view.js";

// Outcomes are named by review.spot_outcome.*, the checks by review.spot_check.*.
const OUTCOMES = { compliant: "ok", deficient: "warn", serious: "bad" };
// Spot-check periods are calendar months counted in UTC, as the server draws them.
const thisMonth = () => new Date().toISOString().slice(0, 7);

/** A finding in words: the outcome, each check passed or not, the notes, who checked and how long they watched. */
function findingWords(f, dir) {
  const cls = OUTCOMES[f.outcome] || "";
  const checks = Object.entries(f.checks || {}).filter(([k]) => CHECKS.includes(k));
  return h("div", { class: "spot-result" },
    h("span", { class: `badge ${cls}` }, tOr(`review.spot_outcome.${f.outcome}`, f.outcome)),
    checks.length ? h("ul", { class: "checks" }, checks.map(([k, ok]) => h("li", {}, `${ok ? "✔" : "✘"} ${t(`review.spot_check.${k}`)}`))) : null,
    f.notes ? h("div", {}, `${t("review.spot.notes")}${f.notes}`) : null,
    h("div", { class: "muted" }, `${who(dir, f.actor)} · ${when(f.received_at)}${f.replayed_s != null ? ` · ${t("review.spot.watched")} ${f.replayed_s} ${t("review.spot.s")}` : ""}`));
}

const CHECKS = ["start_statement", "complete_without_gaps", "picture_and_sound_clear", "certificate_shown", "procedure_lawful", "uploaded_in_time"];

function played(el) {
  let total = 0;
  for (let i = 0; i < (el?.played?.length || 0); i++) total += el.played.end(i) - el.played.start(i);
  return Math.round(total * 10) / 10;
}

function findingForm(row, done) {
  const audio = (row.media_type || "").startsWith("audio/") || row.kind === "media.audio";
  const player = row.sha256
    ? knowDuration(h(audio ? "audio" : "video", { controls: true, preload: "metadata", src: `/api/blobs/${row.sha256}`, class: "spot-player" }))
    : h("a", { href: entryLink(row.case_id, row.entry_hash) }, t("review.spot.replay_timeline"));
  const form = h("form", { class: "card finding", onsubmit: async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const checks = Object.fromEntries(CHECKS.map((k) => [k, data.get(k) === "on"]));
    try {
      await json("/api/review/spot-checks/findings", { method: "POST", body: {
        client_id: crypto.randomUUID(), draw: row.draw, entry_hash: row.entry_hash, outcome: data.get("outcome"),
        checks, notes: data.get("notes") || "", replayed_s: player.played ? played(player) : null,
      } });
      toast(t("review.spot.finding_recorded"));
      done();
    } catch (err) {
      toast(err.message, "error");
    }
  } },
    player,
    ...CHECKS.map((k) => h("label", { class: "check" }, h("input", { type: "checkbox", name: k }), t(`review.spot_check.${k}`))),
    h("label", {}, t("review.spot.outcome"), h("select", { name: "outcome" },
      h("option", { value: "compliant" }, t("review.spot.compliant")), h("option", { value: "deficient" }, t("review.spot.deficient")), h("option", { value: "serious" }, t("review.spot.serious")))),
    h("label", {}, t("review.spot.notes_label"), h("textarea", { name: "notes", rows: 2 })),
    h("button", { class: "primary", type: "submit" }, t("review.spot.record_finding")));
  return form;
}

// What became of a random-draw commitment the officer did not honour, in words (no ids).
function drawFate(row) {
  if (row.status === "abandoned") return t("review.spot.abandoned", { reason: row.reason || t("review.spot.no_reason") });
  if (row.status === "superseded") return t("review.spot.committed_again_before_revealing");
  return t("review.spot.not_revealed", { due: when(row.reveal_due) });
}

/** Random draws an officer abandoned or left unrevealed, on any case: a draw may have been shopped for. */
function drawFlags(flags, dir) {
  return h("div", { class: "card", id: "draw-flags" },
    h("h2", {}, t("review.spot.random_draws_not_honoured")),
    flags.length ? h("table", {},
      h("thead", {}, h("tr", {}, ...[t("docs.team.role.officer"), t("review.cases.case"), t("review.spot.plan"), t("review.spot.committed"), t("review.spot.what_happened")].map((x) => h("th", {}, x)))),
      h("tbody", {}, flags.map((row) => h("tr", { dataset: { status: row.status } },
        h("td", {}, who(dir, row.officer)),
        h("td", {}, h("a", { href: entryLink(row.case_id, row.commit_entry) }, row.case_title || t("review.approvals.untitled_case"))),
        h("td", {}, row.plan || t("review.spot.not_named")), h("td", {}, when(row.committed_at)),
        h("td", {}, h("span", { class: "badge bad" }, drawFate(row)))))))
      : h("p", { class: "muted" }, t("review.spot.no_random_draw_was")));
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
    h("label", { class: "check" }, t("review.spot.month"), " ", h("input", { name: "period", type: "month", value: period === "all" ? thisMonth() : period, required: true })),
    h("button", { type: "submit", class: "primary" }, t("review.spot.draw_month_s_sample")),
    h("a", { href: period === "all" ? `#/review/spot-checks?period=${thisMonth()}` : "#/review/spot-checks?period=all" },
      period === "all" ? t("review.spot.month_only") : t("review.spot.every_month")));
  const summary = rows.length
    ? t("review.spot.summary", {
      period: period === "all" ? t("review.spot.all_months") : period,
      n: rows.length,
      done: rows.filter((r) => r.status === "done").length,
      overdue: rows.filter((r) => r.status === "overdue").length,
    })
    : (period === "all" ? t("review.spot.none_drawn") : t("review.spot.none_drawn_in", { period }));
  return page(t("review.spot.spot_check_ledger"), draw, h("p", { id: "spot-summary" }, summary),
    h("div", { class: "cols" },
      h("div", { class: "scroll" }, h("table", { id: "spot-checks" },
        h("thead", {}, h("tr", {}, ...[t("review.spot.month"), t("docs.team.role.officer"), t("review.spot.recording"), t("review.spot.drawn"), t("review.spot.due"), t("review.spot.status"), ""].map((x) => h("th", {}, x)))),
        h("tbody", {}, rows.map((row) => h("tr", { dataset: { entry: row.entry_hash, status: row.status } },
          h("td", {}, row.period), h("td", {}, who(dir, row.officer)),
          h("td", {}, row.case_id.startsWith("agency:") ? kindName(row.kind) : h("a", { href: entryLink(row.case_id, row.entry_hash) }, kindName(row.kind))),
          h("td", { class: "num" }, t("review.spot.quota", { population: row.population, quota: row.quota })), h("td", {}, when(row.due_at)),
          h("td", {}, statusBadge(row.status), row.finding ? findingWords(row.finding, dir) : null),
          h("td", {}, row.status === "done" ? null : h("button", { class: "check-it", onclick: () => detail.replaceChildren(findingForm(row, reload)) }, t("review.spot.replay_check")))))))),
      detail),
    drawFlags(flags, dir));
}
