// Retention and holds for supervisors, approvers and archivists: what is due for disposal, the holds
// in force (place / release with a reason), and disposal batches (propose, approve with a passkey, carry out).
import { json } from "../../api.js";
import { ask, h, toast } from "../../dom.js";
import * as router from "../../router.js";
import { short, when } from "./format.js";
import { page } from "./page.js";
import { directory, who } from "./people.js";
import { signWithPasskey } from "./sign.js";
import { t, tOr } from "../../i18n.js";

// Record classes, hold triggers and batch states are named by review.record_class.*, review.hold_trigger.*
// and review.batch_status.*; a value with no name shows as it is.
const named = (table, v) => tOr(`review.${table}.${v}`, v);
const STATUS_BADGE = { waiting: "warn", approved: "ok", disposed: "" };

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
  const reason = await ask(title, { label: t("review.retention.reason") });
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
  const caseName = (id) => (id.startsWith("agency:") ? t("review.retention.agency_patrols") : titles.get(id) || id.slice(0, 8));
  const now = Date.now();
  const due = rows.filter((r) => r.due_at && new Date(r.due_at).getTime() <= now && !r.held_by.length);
  const held = rows.filter((r) => r.held_by.length);
  const dueTable = due.length ? h("table", { id: "due" },
    h("thead", {}, h("tr", {}, ...[t("review.retention.file"), t("review.cases.case"), t("review.retention.class"), t("review.retention.due")].map((x) => h("th", {}, x)))),
    h("tbody", {}, due.map((r) => h("tr", {}, h("td", { class: "mono" }, short(r.sha256)),
      h("td", {}, r.case_id.startsWith("agency:") ? caseName(r.case_id) : h("a", { href: `#/review/cases/${r.case_id}?entry=${r.entry_hash}` }, caseName(r.case_id))),
      h("td", {}, named("record_class", r.record_class)), h("td", {}, when(r.due_at))))))
    : h("p", { class: "muted" }, t("review.retention.nothing_past_retention_period"));

  const propose = h("button", { class: "primary", id: "propose-batch", disabled: !due.length || !["archivist", "supervisor", "admin"].some((r) => roles.has(r)), onclick: (e) => act(e.target, async () => {
    const reason = await reasonOrStop(t("review.retention.why_batch_disposed"));
    await json("/api/review/disposals", { method: "POST", body: { client_id: crypto.randomUUID(), reason } });
  }, t("review.retention.disposal_batch_sent_approval")) }, t("review.retention.propose_disposal_batch"));

  const holdForm = h("form", { class: "row", id: "place-hold", onsubmit: (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    act(e.target.querySelector("button"), () => json(`/api/cases/${data.get("case_id")}/holds`, { method: "POST", body: { client_id: crypto.randomUUID(), reason: data.get("reason") } }),
      t("review.retention.hold_placed"));
  } },
  h("label", {}, t("review.cases.case"), h("select", { name: "case_id", required: true }, h("option", { value: "" }, t("review.recordings.choose_case")), cases.map((c) => h("option", { value: c.case_id }, c.title)))),
  h("label", {}, t("review.retention.reason"), h("input", { name: "reason", required: true, placeholder: t("review.retention.e_g_party_went") })),
  h("button", { class: "primary", type: "submit" }, t("review.retention.place_hold")));

  const holdTable = holds.length ? h("table", { id: "holds" },
    h("thead", {}, h("tr", {}, ...[t("review.cases.case"), t("review.retention.reason"), t("review.retention.placed_by"), t("review.retention.when"), ""].map((x) => h("th", {}, x)))),
    h("tbody", {}, holds.map((x) => h("tr", { dataset: { hold: x.hold } },
      h("td", {}, h("a", { href: `#/review/cases/${x.case_id}` }, caseName(x.case_id)), x.blobs.length ? h("div", { class: "muted" }, `${x.blobs.length} ${t("review.retention.files")}`) : null),
      h("td", {}, `${named("hold_trigger", x.trigger)}${x.reason ? `：${x.reason}` : ""}`), h("td", {}, who(dir, x.placed_by)), h("td", {}, when(x.placed_at)),
      h("td", {}, h("button", { onclick: (e) => act(e.target, async () => {
        const reason = await reasonOrStop(t("review.retention.why_hold_released"));
        await json(`/api/cases/${x.case_id}/holds/${x.hold}/release`, { method: "POST", body: { client_id: crypto.randomUUID(), reason } });
      }, t("review.retention.hold_released")) }, t("review.retention.release")))))))
    : h("p", { class: "muted" }, t("review.retention.no_holds_force"));

  const batchTable = batches.length ? h("table", { id: "batches" },
    h("thead", {}, h("tr", {}, ...[t("review.retention.batch"), t("review.retention.file_count"), t("review.retention.reason_heading"), t("review.retention.proposed"), t("review.retention.state"), ""].map((x) => h("th", {}, x)))),
    h("tbody", {}, batches.map((b) => {
      const cls = STATUS_BADGE[b.status];
      const mine = b.proposed_by === me?.staff_id;
      return h("tr", { dataset: { batch: b.batch, status: b.status } },
        h("td", { class: "mono" }, short(b.batch)), h("td", { class: "num" }, b.blobs.length), h("td", {}, b.reason || ""),
        h("td", {}, `${who(dir, b.proposed_by)} · ${when(b.proposed_at)}`),
        h("td", {}, h("span", { class: `badge ${cls}` }, named("batch_status", b.status)), b.approved_by ? h("div", { class: "muted" }, `${t("review.retention.approved")} ${who(dir, b.approved_by)}`) : null),
        h("td", {},
          b.status === "waiting" && roles.has("approver") && !mine
            ? h("button", { class: "primary sign", onclick: (e) => act(e.target, () => signWithPasskey(b.batch, "approve_disposal"), t("review.retention.approved_your_passkey")) }, t("review.retention.approve_passkey")) : null,
          b.status === "approved" && ["archivist", "supervisor", "admin"].some((r) => roles.has(r))
            ? h("button", { class: "primary", onclick: (e) => act(e.target, () => json(`/api/review/disposals/${b.batch}/execute`, { method: "POST" }), t("review.retention.disposed_tombstones_recorded")) }, t("review.retention.carry_out")) : null));
    })))
    : h("p", { class: "muted" }, t("review.retention.no_disposal_batches_yet"));

  return page(t("review.retention.retention_disposal"),
    h("h2", {}, `${t("review.retention.due_disposal")}（${due.length}）`), dueTable, h("div", { class: "row" }, propose),
    h("h2", {}, `${t("review.retention.holds")}（${holds.length}）`), holdTable, holdForm,
    held.length ? h("p", { class: "muted" }, `${held.length} ${t("review.retention.files_kept_because_holds")}`) : null,
    h("h2", {}, t("review.retention.disposal_batches")), batchTable);
}
