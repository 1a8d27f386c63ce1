// Unassigned recordings: recorder files that matched no case (daily patrols, unmatched times).
// Supervisors replay them and file each under the case and step it belongs to.
import { json } from "../../api.js";
import { h, toast } from "../../dom.js";
import { blobUrl, player } from "../../media_view.js";
import { short, when } from "./format.js";
import { kindName, loadKindTitles } from "./names.js";
import { page } from "./page.js";
import { directory, who, whoWithUnit } from "./people.js";
import { t } from "../../i18n.js";

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
  const step = h("select", { name: "for_entry" }, h("option", { value: "" }, t("review.recordings.no_particular_step")));
  const caseSelect = h("select", { name: "case_id", required: true, onchange: async (e) => {
    step.replaceChildren(h("option", { value: "" }, t("review.recordings.no_particular_step")));
    if (!e.target.value) return;
    try {
      for (const [value, label] of await stepsOf(e.target.value)) step.append(h("option", { value }, label));
    } catch (err) {
      toast(err.message, "error");
    }
  } },
  h("option", { value: "" }, t("review.recordings.choose_case")),
  cases.map((c) => h("option", { value: c.case_id }, `${c.title}${c.number ? `（${c.number}）` : ""}`)));
  return h("form", { class: "link-recording row", onsubmit: async (e) => {
    e.preventDefault();
    const button = e.target.querySelector("button");
    button.disabled = true;
    try {
      await json(`/api/review/recordings/${rec.sha256}/links`, { method: "POST", body: {
        case_id: caseSelect.value, for_entry: step.value || null, client_id: crypto.randomUUID() } });
      const title = caseSelect.selectedOptions[0].textContent;
      e.target.closest("tr").querySelector(".state").replaceChildren(h("span", { class: "badge ok" }, t("review.recordings.linked")), " ",
        h("a", { href: `#/review/cases/${caseSelect.value}` }, title));
      e.target.remove();
      toast(t("review.recordings.recording_linked_case"));
    } catch (err) {
      button.disabled = false;
      toast(err.message, "error");
    }
  } },
  h("label", {}, t("review.cases.case"), caseSelect), h("label", {}, t("review.recordings.step"), step),
  h("button", { class: "primary", type: "submit" }, t("review.recordings.link_case")));
}

export async function render() {
  const [recordings, cases, dir] = await Promise.all([
    json("/api/recordings?unassigned=true"), json("/api/review/cases"), directory(),
  ]);
  const play = (r) => player(r.sha256, r.media_type || "video/", blobUrl(r.sha256));
  return page(t("review.recordings.unassigned_recordings"),
    h("p", { class: "muted" }, t("review.recordings.recorder_fixed_camera_files")),
    recordings.length ? h("table", { id: "unassigned" },
      h("thead", {}, h("tr", {}, ...[t("review.recordings.recording"), t("review.recordings.device"), t("docs.team.role.officer"), t("review.recordings.recorded"), t("review.recordings.duration"), t("review.recordings.imported"), t("review.recordings.link")].map((x) => h("th", {}, x)))),
      h("tbody", {}, recordings.map((r) => h("tr", { dataset: { sha: r.sha256 } },
        h("td", {}, play(r), h("div", {}, r.filename), h("div", { class: "mono" }, short(r.sha256))),
        h("td", {}, r.device?.number || "—", r.device && !r.device.registered ? h("div", { class: "badge warn" }, t("review.recordings.not_registered")) : null),
        h("td", {}, whoWithUnit(dir, r.officer)),
        h("td", {}, when(r.started_at), h("div", { class: "muted" }, `— ${when(r.ended_at)}`)),
        h("td", { class: "num" }, duration(r.started_at, r.ended_at)),
        h("td", {}, when(r.imported_at), h("div", { class: "muted" }, `${who(dir, r.imported_by)}${r.computer ? ` · ${r.computer}` : ""}`),
          r.deadline?.late ? h("span", { class: "badge bad" }, `${t("review.recordings.late")} ${Math.round(r.deadline.late_by_h * 10) / 10} ${t("review.recordings.h")}`) : null),
        h("td", { class: "state" }, linkForm(r, cases))))))
      : h("p", { class: "muted", id: "no-unassigned" }, t("review.recordings.no_unassigned_recordings")));
}
