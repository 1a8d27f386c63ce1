// Start a case by any start path, online or not: the case gets a client-made id and waits in the outbox.
import * as cases from "../cases.js";
import * as db from "../db.js";
import { h, toast } from "../dom.js";
import { refusalText } from "../forms/refused.js";
import { t, titleOf } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as router from "../router.js";
import { loadHints, renderForm } from "../schema_form.js";
import * as session from "../session.js";
import { device, stamp } from "../stamps.js";
import * as colleagues from "../colleagues.js";

export async function render(_params, query = new URLSearchParams()) {
  const me = session.current();
  // A case the server refused is corrected here and sent again as the same case (same ids): no duplicate.
  const correcting = query.get("correct") ? await db.get("outbox", query.get("correct")) : null;
  const before = correcting?.type === "case" && correcting.state !== "sent" ? correcting : null;
  const schema = await cases.schema("case.opened");
  await loadHints();
  let pack = null;
  try {
    pack = await cases.pack(cases.packIdOf({}, me));
  } catch {}
  // The agency's pack narrows the enforcement kinds to those it handles.
  const s = structuredClone(schema);
  if (pack) {
    const allowed = new Set(pack.enforcement_kinds.map((k) => k.kind));
    const ek = s.properties.enforcement_kind;
    const keep = ek.enum.map((v, i) => [v, ek["x-enum-titles"]?.[i]]).filter(([v]) => allowed.has(v));
    ek.enum = keep.map(([v]) => v);
    ek["x-enum-titles"] = keep.map(([, ti]) => ti);
  }
  const values = before?.body || { procedure: "general", start_path: "ex_officio", parties: [{ kind: "person" }] };
  const form = renderForm(s, values, { skip: ["agency_id"] });
  // Colleagues are picked from the agency's directory (kept on the device), never typed: a typed
  // name used to become a member nobody could identify.
  const dir = await colleagues.directory().catch(() => ({ rows: [] }));
  const officers = colleagues.picker(dir.rows, { id: "f-officers", exclude: new Set([me?.staff_id]), selected: before?.body.officers });

  async function submit() {
    const v = form.read();
    // Checked against the schema the server uses (agency_id is the server's to fill), before anything is kept.
    if (!form.check({ ...v, agency_id: me?.agency_id || "-", major: Boolean(v.major), parties: v.parties || [] })) return;
    const caseId = before?.case_id || crypto.randomUUID();
    const body = {
      case_id: caseId,
      title: v.title,
      enforcement_kind: v.enforcement_kind,
      procedure: v.procedure,
      start_path: v.start_path,
      parties: v.parties || [],
      summary: v.summary,
      major: Boolean(v.major),
      officers: officers.selected(),
      claimed: stamp(),
      device: device(),
    };
    try {
      await db.put("cases", {
        case_id: caseId, agency_id: me?.agency_id, rule_pack: me?.rule_pack, number: null, title: v.title,
        stage: "start", status: "open", enforcement_kind: v.enforcement_kind, procedure: v.procedure,
        start_path: v.start_path, parties: body.parties, opened_at: body.claimed.time, updated_at: body.claimed.time,
        local: true, compliance: [], next_steps: [],
      });
      const label = `${t("case_new.title")}: ${v.title}`;
      if (before) await outbox.retry(await outbox.update(before, { body: { ...body, client_id: before.id }, label }));
      else await outbox.enqueue({ type: "case", case_id: caseId, label, body });
      router.go(`/cases/${caseId}`);
    } catch (e) {
      toast(e.name === "Error" && e.message === "storage_full" ? t("storage.full") : e.message, "error");
    }
  }

  return h(
    "section",
    {},
    h("h1", {}, t("case_new.title")),
    before ? h("div", { class: "card refused", id: "correcting" }, h("p", {}, t("forms.refused.correcting")),
      before.error ? h("p", { class: "refusal-reason" }, refusalText(before.error)) : null) : null,
    h("p", { class: "muted" }, titleOf(schema)),
    form.node,
    h("h2", {}, t("docs.case_new.officers")),
    officers.node,
    h("div", { class: "actions" }, h("button", { class: "primary", id: "open-case", onclick: submit }, t("case_new.open"))),
  );
}
