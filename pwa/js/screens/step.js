// One step of a case: the stamp, the record form from its schema, what is required (records, AV,
// signatures), capture (photos, audio, video sessions), signatures, refusals and co-signing.
// Everything typed or captured is on the device at once: the form autosaves as a draft outbox item,
// media are queued the moment they are taken. Each part lives in screens/step/, named for what it captures.
import * as cases from "../cases.js";
import { entriesOf, entryLabel } from "../case_entries.js";
import { h, showError, toast } from "../dom.js";
import { prefillValues, placeFollowsGps } from "../forms/prefill.js";
import { refusalText } from "../forms/refused.js";
import { t, titleOf } from "../i18n.js";
import { officerField, teamOf } from "../officer_field.js";
import * as outbox from "../outbox.js";
import * as router from "../router.js";
import { loadHints, renderForm } from "../schema_form.js";
import * as session from "../session.js";
import { approverFields, approverOnly, automaticCard, automaticOnly, officerWrites } from "./step/automatic.js";
import { capturedItems } from "./step/captured.js";
import { cosignPanel } from "./step/cosign.js";
import { stepDraft } from "./step/draft.js";
import { dropStaleFingerprints } from "./step/fingerprint.js";
import { photoCapture } from "./step/photos.js";
import { avCapture, isRecording } from "./step/recording.js";
import { signaturePanel } from "./step/signatures.js";
import { stampCard, stampLines } from "./step/stamp_card.js";

export function leave() {
  return !isRecording();
}

const titleOfKind = async (k) => titleOf(await cases.schema(k).catch(() => ({ title: k })));

export async function render({ id, step: stepId }, query) {
  const me = session.current();
  const c = await cases.getCase(id);
  const pack = await cases.pack(cases.packIdOf(c, me));
  const step = pack.steps[stepId];
  if (!step) return h("p", {}, t("step.unknown"));
  const openedAt = new Date();
  const all = await outbox.items();
  // The latest unsent draft of this step, if any, is reopened.
  const reopened = all.findLast((i) => i.case_id === id && i.type === "entry" && i.state === "draft" && i.draft?.step === stepId) || null;
  // Only records and notes are the officer's to write; the rest of a step (a link opened, a consent,
  // a notice published) is recorded by its own endpoint and shown here as status.
  const approver = (me?.roles || []).includes("approver");
  const forms = Object.fromEntries(await Promise.all(step.any_of.filter(officerWrites)
    .map(async (k) => [k, await cases.schema(k).catch(() => ({}))])));
  const awaiting = approver ? [] : Object.keys(forms).filter((k) => approverOnly(forms[k]));
  const writable = Object.keys(forms).filter((k) => !awaiting.includes(k));
  const automatic = step.any_of.filter((k) => !officerWrites(k));
  let kind = query.get("kind") || reopened?.body.kind || writable[0] || step.any_of[0];
  if (!officerWrites(kind) || awaiting.includes(kind)) kind = writable[0];
  if (!kind) return automaticOnly(c, id, step, automatic, awaiting);
  const schema = await cases.schema(kind);
  await loadHints();
  const av = cases.avFor(pack, kind);
  const sigRule = cases.signaturesFor(pack, kind);
  // Hash fields: a photo taken here goes to the outbox like any capture; entries come from the case's timeline.
  const team = teamOf(id).catch(() => []);
  let draft = null;
  const formCtx = {
    attachPhoto: async (data, { field, filename }) => {
      const { blob } = await draft.queueMedia("media.photo", data, { filename: filename || `${field}.jpg`, label: `${t("capture.photo")} · ${field}`, payload: { caption: `${field} | ${stampLines(c).join(" | ")}` } });
      return blob;
    },
    entries: async (kinds) => {
      const list = await entriesOf(id, kinds);
      const titles = Object.fromEntries(await Promise.all([...new Set(list.map((e) => e.kind))].map(async (k) => [k, await titleOfKind(k)])));
      return list.map((e) => ({ value: e.hash, label: entryLabel(e, titles[e.kind]) }));
    },
    overlay: () => stampLines(c),
    officerField: (name, key, s, required, value, widget) => officerField(name, key, s, required, value, widget, team),
  };
  const skip = ["signatures", ...(approver ? [] : approverFields(schema))];
  const form = renderForm(schema, reopened?.draft.values || prefillValues(schema, me, { openedAt }), { skip, ctx: formCtx });
  placeFollowsGps(form.node);

  const captured = capturedItems(id, kind);
  draft = stepDraft({ id, stepId, kind, schema, form, item: reopened, onCaptured: captured.refresh });
  const recorder = await avCapture({ c, id, stepId, kind, schema, me, form, onEnded: captured.refresh });
  const signing = signaturePanel({ pack, kind, id, form, draft, sigRule, openAv: recorder.open });
  const cosign = cosignPanel(me);

  async function submit() {
    // The same JSON Schema the server checks, before the record is queued: errors at their fields.
    if (!form.check(draft.payload())) return;
    if (isRecording()) return toast(t("av.still_recording"), "error");
    // A fingerprint confirms the record's hash at that moment: after any edit it confirms nothing.
    const stale = await dropStaleFingerprints(draft.signatures, { kind, id, form });
    if (stale.length) {
      await draft.save();
      signing.render();
      return toast(t("fp.stale", { names: stale.map((s) => s.name).join("、") }), "error");
    }
    try {
      const item = await draft.submit();
      toast(t("step.queued"));
      cosign.follow(item);
      signing.render();
    } catch (e) { showError(e); }
  }

  captured.refresh();
  signing.render();
  const kindSelect = writable.length > 1
    ? h("select", { id: "kind", onchange: (e) => router.go(`/cases/${id}/steps/${stepId}?kind=${e.target.value}`) },
      await Promise.all(writable.map(async (k) => h("option", { value: k, selected: k === kind }, await titleOfKind(k)))))
    : null;
  const node = h(
    "section",
    { class: "step-screen" },
    h("a", { href: `#/cases/${id}` }, `← ${c.title}`),
    h("h1", {}, titleOf(step)),
    kindSelect,
    awaiting.length ? await automaticCard(c, id, awaiting, { byApprover: true }) : null,
    automatic.length ? await automaticCard(c, id, automatic) : null,
    stampCard(openedAt),
    h("div", { class: "card requirements" },
      h("div", {}, h("span", { class: "badge" }, t("step.required_record")), " ", titleOf(schema)),
      av.map((m) => h("div", { class: "badge warn av" }, `${t("step.av_required", { media: m.media.map((x) => t(`media.${x}`)).join("/") })}: ${titleOf(m)}`)),
      sigRule ? h("div", { class: "muted" }, t("step.signatures_needed", { roles: sigRule.roles.map((r) => t(`role.${r}`)).join("、"), n: sigRule.min_officers || 1 })) : null,
    ),
    h("h2", {}, t("step.record")),
    draft.refused ? h("p", { class: "card refused", id: "refusal" }, h("b", {}, `${t("forms.refused.title")}：`), refusalText(draft.refused)) : null,
    form.node,
    h("h2", {}, t("step.capture")),
    photoCapture(c, draft),
    recorder.buttons,
    recorder.box,
    captured.node,
    schema.properties?.signatures ? signing.nodes : null,
    cosign.node,
    h("div", { class: "actions" },
      h("button", { id: "save-draft", onclick: () => draft.save().then(() => toast(t("step.draft_saved")), showError) }, t("step.save_draft")),
      h("button", { class: "primary", id: "submit", onclick: submit }, t("step.submit"))),
  );
  signing.refreshPages();
  return node;
}
