// One step of a case: the stamp, the record form from its schema, what is required (records, AV,
// signatures), capture (photos, audio, video sessions), signatures, refusals and co-signing.
// Everything typed or captured is on the device at once: the form autosaves as a draft outbox item,
// media are queued the moment they are taken.
import { json } from "../api.js";
import { openCamera } from "../capture/camera.js";
import { AvSession, INTERRUPT_REASONS, openSessions, supportedType } from "../capture/recorder.js";
import { SignaturePad } from "../capture/signature_pad.js";
import * as cases from "../cases.js";
import { ask, h, toast } from "../dom.js";
import { textHash } from "../hash.js";
import { t, titleOf } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as router from "../router.js";
import { entriesOf, entryLabel } from "../case_entries.js";
import { refusalText } from "../forms/refused.js";
import { itemProgress, mediaPreview } from "../forms/item_view.js";
import { gpsWord, verifyDetails } from "../forms/plain.js";
import { placeFollowsGps, prefillValues } from "../forms/prefill.js";
import { fullscreenSignature } from "../forms/signature_mode.js";
import { loadHints, renderForm } from "../schema_form.js";
import * as session from "../session.js";
import * as stamps from "../stamps.js";
import { officerField, teamOf } from "../officer_field.js";

const HOLD_MS = 1500;
const STATEMENT = ["av.statement.time_place", "av.statement.officers", "av.statement.notice", "av.statement.matter"];
// A record's drawn-signature pad and fingerprint confirmation keep their extras on the record's signature item.
let recording = null;

export function leave() {
  return !recording;
}

function fail(e) {
  toast(e?.message === "storage_full" ? t("storage.full") : `${t("error")}: ${e?.message || e}`, "error");
}

function stampLines(c) {
  const f = stamps.currentFix();
  const q = stamps.fixQuality();
  return [
    `${new Date().toLocaleString()}  Δ${stamps.clockOffset() ?? "?"}ms`,
    f && q !== "stale" ? `${f.lat.toFixed(6)}, ${f.lon.toFixed(6)} ±${Math.round(f.accuracy_m)}m` : t("gps.none"),
    `${c.number || c.title}`.slice(0, 40),
  ];
}

function stampCard(openedAt) {
  const el = h("div", { class: "card stamp-card", id: "stamp" });
  const update = () => {
    const f = stamps.currentFix();
    const q = stamps.fixQuality();
    const open = el.querySelector("details")?.open;
    el.replaceChildren(
      h("div", { class: "stamp" }, `${t("stamp.opened")}: ${openedAt.toLocaleString()}`),
      h("div", { class: q === "good" ? "stamp" : "stamp warn", id: "gps-word", dataset: { quality: q } },
        gpsWord(q, f), q !== "good" ? ` — ${t(`gps.warn.${q}`)}` : ""),
      // Coordinates, the clock's offset and the device id are for verifying, kept in the fold.
      verifyDetails([
        h("div", { class: "stamp", id: "gps-stamp", dataset: { quality: q } },
          f ? `GPS ${f.lat.toFixed(6)}, ${f.lon.toFixed(6)} ±${Math.round(f.accuracy_m)} m · ${t("stamp.fix_time")} ${new Date(f.fix_time).toLocaleTimeString()}` : t("gps.none")),
        h("div", { class: "stamp" }, `${t("stamp.device_time")}: ${new Date().toLocaleString()} · ${t("stamp.offset")}: ${stamps.clockOffset() ?? "—"} ms`),
        h("div", { class: "stamp" }, `${t("settings.device_id")}: `, h("span", { class: "mono" }, stamps.device())),
      ]),
    );
    if (open) el.querySelector("details").open = true;
  };
  update();
  const timer = setInterval(() => (el.isConnected ? update() : clearInterval(timer)), 1000);
  stamps.onFix(update);
  return el;
}

/** Press and hold to confirm: shows the hash being confirmed; resolves with the hold duration. */
function holdButton(label, onDone) {
  const fill = h("span", { class: "fill" });
  const btn = h("button", { type: "button", class: "hold", id: "fp-hold" }, fill, h("span", {}, label));
  let start = 0;
  let raf = 0;
  const tick = () => {
    const p = Math.min(1, (performance.now() - start) / HOLD_MS);
    fill.style.width = `${p * 100}%`;
    if (p >= 1) {
      const held = Math.round(performance.now() - start);
      start = 0;
      onDone(held);
      return;
    }
    raf = requestAnimationFrame(tick);
  };
  btn.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    start = performance.now();
    raf = requestAnimationFrame(tick);
  });
  const cancel = () => {
    cancelAnimationFrame(raf);
    start = 0;
    fill.style.width = "0";
  };
  btn.addEventListener("pointerup", cancel);
  btn.addEventListener("pointerleave", cancel);
  btn.addEventListener("pointercancel", cancel);
  return btn;
}

const officerWrites = (k) => k === "note" || k.startsWith("record.");
// Fields marked `x-approver` are the approving head's decision: the server takes them only from an
// approver, so nobody else is offered them; a form that cannot be sent without one is the approver's.
const approverFields = (schema) => Object.entries(schema.properties || {}).filter(([, p]) => p["x-approver"]).map(([k]) => k);
const approverOnly = (schema) => (schema.required || []).some((k) => approverFields(schema).includes(k));

/** Kinds of the step recorded elsewhere (or by an approver), with whether the case has one yet and how. */
async function automaticCard(c, id, kinds, { byApprover = false } = {}) {
  const have = await entriesOf(id, kinds).catch(() => []);
  const service = kinds.some((k) => k.startsWith("service.") || k.startsWith("party.") || k.startsWith("notice."));
  const how = (k) => (byApprover ? t("step.approver_only.how")
    : t(`step.automatic.how.${k}`) === `step.automatic.how.${k}` ? t("step.automatic.how") : t(`step.automatic.how.${k}`));
  return h("div", { class: "card automatic-kinds", id: byApprover ? "approver-kinds" : "automatic-kinds" },
    h("p", { class: "muted" }, byApprover ? t("step.approver_only") : t("step.automatic")),
    await Promise.all(kinds.map(async (k) => {
      const n = have.filter((e) => e.kind === k).length;
      return h("div", { class: "row automatic-kind", dataset: { kind: k } },
        h("span", { class: "grow" }, titleOf(await cases.schema(k).catch(() => ({ title: k })))),
        h("span", { class: n ? "badge ok" : "badge" }, n ? t("step.automatic.done", { n }) : t("step.automatic.none")),
        h("span", { class: "muted" }, how(k)));
    })),
    service ? h("a", { class: "button", id: "to-service", href: `#/cases/${id}/service` }, t("service.open")) : null);
}

async function automaticOnly(c, id, step, kinds, awaiting) {
  return h("section", { class: "step-screen" },
    h("a", { href: `#/cases/${id}` }, `← ${c.title}`),
    h("h1", {}, titleOf(step)),
    awaiting.length ? await automaticCard(c, id, awaiting, { byApprover: true }) : null,
    kinds.length ? await automaticCard(c, id, kinds) : null);
}

export async function render({ id, step: stepId }, query) {
  const me = session.current();
  const c = await cases.getCase(id);
  const pack = await cases.pack(cases.packIdOf(c, me));
  const step = pack.steps[stepId];
  if (!step) return h("p", {}, t("step.unknown"));
  const openedAt = new Date();
  const all = await outbox.items();
  // The latest unsent draft of this step, if any, is reopened.
  let draft = all.findLast((i) => i.case_id === id && i.type === "entry" && i.state === "draft" && i.draft?.step === stepId) || null;
  // Only records and notes are the officer's to write; the rest of a step (a link opened, a consent,
  // a notice published) is recorded by its own endpoint and shown here as status.
  const approver = (me?.roles || []).includes("approver");
  const forms = Object.fromEntries(await Promise.all(step.any_of.filter(officerWrites)
    .map(async (k) => [k, await cases.schema(k).catch(() => ({}))])));
  const awaiting = approver ? [] : Object.keys(forms).filter((k) => approverOnly(forms[k]));
  const writable = Object.keys(forms).filter((k) => !awaiting.includes(k));
  const automatic = step.any_of.filter((k) => !officerWrites(k));
  let kind = query.get("kind") || draft?.body.kind || writable[0] || step.any_of[0];
  if (!officerWrites(kind) || awaiting.includes(kind)) kind = writable[0];
  if (!kind) return automaticOnly(c, id, step, automatic, awaiting);
  const schema = await cases.schema(kind);
  await loadHints();
  const av = cases.avFor(pack, kind);
  const sigRule = cases.signaturesFor(pack, kind);
  const signatures = [...(draft?.draft.signatures || [])];
  const blobs = new Set(draft?.body.blobs || []);
  // Hash fields: a photo taken here goes to the outbox like any capture; entries come from the case's timeline.
  const team = teamOf(id).catch(() => []);
  const formCtx = {
    attachPhoto: async (data, { field, filename }) => {
      const { blob } = await queueMedia("media.photo", data, { filename: filename || `${field}.jpg`, label: `${t("capture.photo")} · ${field}`, payload: { caption: `${field} | ${stampLines(c).join(" | ")}` } });
      return blob;
    },
    entries: async (kinds) => {
      const list = await entriesOf(id, kinds);
      const titles = Object.fromEntries(await Promise.all([...new Set(list.map((e) => e.kind))].map(async (k) => [k, titleOf(await cases.schema(k).catch(() => ({ title: k })))])));
      return list.map((e) => ({ value: e.hash, label: entryLabel(e, titles[e.kind]) }));
    },
    overlay: () => stampLines(c),
    officerField: (name, key, s, required, value, widget) => officerField(name, key, s, required, value, widget, team),
  };
  const skip = ["signatures", ...(approver ? [] : approverFields(schema))];
  const form = renderForm(schema, draft?.draft.values || prefillValues(schema, me, { openedAt }), { skip, ctx: formCtx });
  placeFollowsGps(form.node);
  const stepItems = h("div", { class: "card", id: "step-items" });
  const sigList = h("div", { id: "signature-list" });

  // Media payloads carry only what their kinds' schemas allow (the server adds size, findings, EXIF).
  const mediaBody = (mediaKind, blob, payload = {}) => ({
    sha256: blob.sha256,
    kind: mediaKind,
    media_type: blob.media_type,
    claimed: stamps.stamp(),
    device: stamps.device(),
    // A capture is as confidential as the record it is taken for (its schema's select).
    payload: { step: kind, confidentiality: form.read().confidentiality, ...payload }, // the file name travels in the upload's metadata
  });

  async function queueMedia(mediaKind, data, { filename, label, payload } = {}) {
    const blob = await outbox.keepBlob(data, { media_type: data.type || "application/octet-stream", filename });
    blobs.add(blob.sha256);
    const item = await outbox.enqueue({ type: "media", case_id: id, label, blob, body: mediaBody(mediaKind, blob, payload) });
    await saveDraft();
    refreshItems();
    return { blob, item };
  }

  // -- draft autosave: the entry item exists in state "draft" from the first change on
  async function saveDraft(state = "draft") {
    const values = form.read();
    const payload = { ...values };
    if (schema.properties?.signatures && signatures.length) payload.signatures = signatures.map(({ _local, ...s }) => s);
    const body = {
      kind,
      payload,
      claimed: stamps.stamp(),
      device: stamps.device(),
      blobs: [...blobs],
      signatures: [],
    };
    const label = `${titleOf(schema)}`;
    if (!draft) {
      draft = outbox.newItem({ type: "entry", case_id: id, label, body, state });
      draft.draft = { step: stepId, values, signatures };
      await outbox.update(draft, {});
    } else {
      // A submitted record goes after every photo and signature taken for it (they were queued earlier).
      const seq = state === "queued" ? outbox.nextSeq() : draft.seq;
      await outbox.update(draft, { body: { ...body, client_id: draft.id }, draft: { step: stepId, values, signatures }, state, label, seq });
    }
    if (state === "queued") outbox.kick();
    return draft;
  }
  let saveTimer = 0;
  form.node.addEventListener("input", () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => saveDraft().catch(fail), 400);
  });

  async function refreshItems() {
    const mine = (await outbox.items()).filter((i) => i.case_id === id && i.type === "media" && i.body?.payload?.step === kind);
    stepItems.replaceChildren(
      h("b", {}, t("step.captured", { n: mine.length })),
      ...mine.map((i) => h("div", { class: "row outbox-item", dataset: { id: i.id, kind: i.body.kind } },
        mediaPreview(i),
        h("span", { class: "grow" }, `${t(`mediakind.${i.body.kind}`)} · ${i.label || ""}`),
        h("span", { class: `badge state-${i.state}`, dataset: { state: i.state } }, t(`state.${i.state}`)),
        itemProgress(i))),
    );
  }
  outbox.events.addEventListener("change", () => stepItems.isConnected && refreshItems());

  // -- photos: in-app camera (overlay burned in) and the native camera (original bytes with EXIF)
  const camBox = h("div", { id: "camera-box" });
  let cam = null;
  const shoot = h("button", { class: "primary", id: "photo-shoot", hidden: true, onclick: async () => {
    try {
      const jpeg = await cam.shoot();
      await queueMedia("media.photo", jpeg, { filename: `photo-${Date.now()}.jpg`, label: t("capture.photo"), payload: { caption: stampLines(c).join(" | ") } });
      toast(t("capture.saved"));
    } catch (e) { fail(e); }
  } }, t("capture.shoot"));
  const closeCam = h("button", { id: "photo-close", hidden: true, onclick: () => { cam?.stop(); cam = null; shoot.hidden = closeCam.hidden = true; } }, t("capture.close"));
  const openCam = h("button", { id: "photo-open", onclick: async () => {
    try {
      cam = await openCamera(camBox, () => stampLines(c));
      shoot.hidden = closeCam.hidden = false;
    } catch (e) { fail(e); }
  } }, t("capture.in_app"));
  const native = h("input", { type: "file", accept: "image/*", capture: "environment", id: "native-photo", multiple: true, onchange: async (e) => {
    for (const file of e.target.files) {
      try {
        // The original file, unchanged, so its EXIF can be checked against the stamp.
        await queueMedia("media.photo", file, { filename: file.name, label: `${t("capture.native")} ${file.name}`, payload: {} });
      } catch (err) { fail(err); }
    }
    e.target.value = "";
    toast(t("capture.saved"));
  } });

  // -- audio and video sessions: start statement read aloud, interruptions with reasons, resume, end
  const avBox = h("div", { id: "av-box" });
  function avControls(session, preview) {
    const status = h("div", { class: "rec", id: "av-status" });
    const interruptBtn = h("button", { id: "av-interrupt" }, t("av.interrupt"));
    const resumeBtn = h("button", { id: "av-resume" }, t("av.resume"));
    const endBtn = h("button", { class: "danger", id: "av-end" }, t("av.end"));
    const t0 = Date.now();
    const closeBtn = h("button", { id: "av-close-writing" }, t("av.close_in_writing"));
    const show = () => {
      const live = session.state === "recording";
      interruptBtn.hidden = !live;
      resumeBtn.hidden = live;
      // An interrupted session either resumes (stating why) or is closed in writing; it cannot just end.
      endBtn.hidden = !live;
      closeBtn.hidden = live;
      status.textContent = live ? `● ${t("av.recording")} ${Math.round((Date.now() - t0) / 1000)}s` : t("av.interrupted_state");
    };
    const timer = setInterval(() => (status.isConnected ? show() : clearInterval(timer)), 500);
    interruptBtn.onclick = async () => {
      const answer = await askInterruption();
      if (!answer) return;
      try {
        await session.interrupt(answer.reason, answer.explanation);
        resumeBtn.textContent = t("av.resume_with", { reason: answer.explanation });
      } catch (e) { fail(e); }
      show();
    };
    resumeBtn.onclick = async () => {
      try {
        recording = session;
        await session.resume(preview);
      } catch (e) { fail(e); }
      show();
    };
    closeBtn.onclick = async () => {
      const answer = await askInterruption({ closing: true });
      if (!answer) return;
      try {
        await session.closeInWriting(answer.reason, answer.explanation, answer.signedBy);
      } catch (e) { return fail(e); }
      recording = null;
      clearInterval(timer);
      avBox.replaceChildren();
      refreshItems();
    };
    endBtn.onclick = async () => {
      try {
        await session.end();
      } catch (e) { fail(e); }
      recording = null;
      clearInterval(timer);
      avBox.replaceChildren();
      refreshItems();
      toast(t("capture.saved"));
    };
    show();
    return h("div", {}, status, h("div", { class: "row" }, interruptBtn, resumeBtn, endBtn, closeBtn));
  }

  function askInterruption({ closing = false } = {}) {
    return new Promise((resolve) => {
      const reason = h("select", { id: "interrupt-reason" }, INTERRUPT_REASONS.map((r) => h("option", { value: r }, t(`av.reason.${r}`))));
      const explanation = h("textarea", { id: "interrupt-explanation", rows: 3 });
      const second = h("input", { id: "close-officer2-name", placeholder: t("av.officer") });
      const secondId = h("input", { id: "close-officer2-id", placeholder: t("av.staff_id") });
      const dlg = h("dialog", { class: "ask" }, h("form", { method: "dialog" },
        h("h2", {}, closing ? t("av.close_in_writing") : t("av.interrupt_reason")), reason,
        h("label", { for: "interrupt-explanation" }, t("av.explanation")), explanation,
        closing ? [h("label", { for: "close-officer2-name" }, t("av.second_officer")), second, secondId] : null,
        h("div", { class: "row" },
          h("button", { type: "button", onclick: () => { dlg.close(); dlg.remove(); resolve(null); } }, t("cancel")),
          h("button", { class: "primary", id: "interrupt-ok", type: "submit" }, t("ok")))));
      dlg.querySelector("form").addEventListener("submit", (e) => {
        if (!explanation.value.trim()) { e.preventDefault(); explanation.focus(); return; }
        if (closing && !(second.value.trim() && secondId.value.trim())) { e.preventDefault(); second.focus(); return; }
        const signedBy = [{ staff_id: me?.staff_id || "", name: me?.name || "" }, { staff_id: secondId.value.trim(), name: second.value.trim() }];
        resolve({ reason: reason.value, explanation: explanation.value.trim(), signedBy });
        setTimeout(() => dlg.remove(), 0);
      });
      document.body.append(dlg);
      dlg.showModal();
    });
  }

  function avPanel(mediaKind, { purpose } = {}) {
    if (recording) return toast(t("av.already"), "error");
    if (supportedType(mediaKind) === null) return toast(t("av.unsupported"), "error");
    const f = stamps.currentFix();
    const values = form.read();
    const place = h("input", { id: "av-place", value: values.place || (f ? `${f.lat.toFixed(5)}, ${f.lon.toFixed(5)}` : "") });
    const officer = h("input", { id: "av-officer", value: me?.name || "" });
    const cert = h("input", { id: "av-cert", value: me?.certificate_no || "" });
    const reason = h("input", { id: "av-reason", value: purpose || titleOf(schema) });
    const target = h("input", { id: "av-target", value: values.target || c.parties?.[0]?.name || c.title });
    const checks = STATEMENT.map((key) => h("label", { class: "check statement" }, h("input", { type: "checkbox", dataset: { key } }), t(key)));
    const preview = mediaKind === "video" ? h("video", { playsinline: true, muted: true, style: "width:100%;border-radius:12px;background:#000" }) : null;
    const controls = h("div", {});
    const startBtn = h("button", { class: "primary", id: "av-start" }, t("av.start"));
    startBtn.onclick = async () => {
      if (checks.some((l) => !l.querySelector("input").checked)) return toast(t("av.read_statement"), "error");
      if (![place, officer, reason, target].every((i) => i.value.trim())) return toast(t("av.statement_incomplete"), "error");
      try {
        recording = await AvSession.begin({
          media: mediaKind, case_id: id, step_id: stepId, record_kind: kind, preview,
          label: `${t(`media.${mediaKind}`)}${purpose ? ` · ${purpose}` : ""}`,
          statement: {
            place: { text: place.value.trim(), ...(f ? { lat: f.lat, lon: f.lon, accuracy_m: f.accuracy_m } : {}) },
            officers: [{ name: officer.value.trim(), ...(me?.staff_id ? { staff_id: me.staff_id } : {}), ...(cert.value.trim() ? { certificate_no: cert.value.trim() } : {}) }],
            reason: reason.value.trim(),
            target: target.value.trim(),
            told_present: true,
          },
        });
        recording.onerror = fail;
      } catch (e) { recording = null; return fail(e); }
      startBtn.hidden = true;
      checks.forEach((l) => (l.querySelector("input").disabled = true));
      controls.replaceChildren(avControls(recording, preview));
    };
    avBox.replaceChildren(h("div", { class: "card av-session", dataset: { media: mediaKind } },
      h("b", {}, t("av.session", { media: t(`media.${mediaKind}`) })),
      h("p", { class: "muted" }, t("av.read_statement")),
      h("label", { for: "av-place" }, t("av.place")), place,
      h("div", { class: "cols" },
        h("div", {}, h("label", { for: "av-officer" }, t("av.officer")), officer),
        h("div", {}, h("label", { for: "av-cert" }, t("av.certificate")), cert)),
      h("label", { for: "av-reason" }, t("av.reason")), reason,
      h("label", { for: "av-target" }, t("av.target")), target,
      checks, preview, startBtn, controls));
    avBox.scrollIntoView({ behavior: "smooth" });
  }

  // A session a crash interrupted (or one left interrupted) can be resumed or ended here.
  for (const data of await openSessions(id, stepId)) {
    const session = await AvSession.reopen(data.session_id);
    if (session.state === "recording") session.data.state = "interrupted";
    const preview = data.media === "video" ? h("video", { playsinline: true, muted: true, style: "width:100%;border-radius:12px;background:#000" }) : null;
    avBox.append(h("div", { class: "card av-session open-session", dataset: { media: data.media, session: data.session_id } },
      h("b", {}, t("av.open_session", { media: t(`media.${data.media}`) })), preview, avControls(session, preview)));
  }

  // -- signatures: drawn, fingerprint-style, refusal; one per page for multi-page records
  const sigRole = h("select", { id: "sig-role" }, ["party", "officer", "witness", "participant", "recipient"].map((r) => h("option", { value: r }, t(`role.${r}`))));
  const sigName = h("input", { id: "sig-name", placeholder: t("sig.name") });
  const sigPage = h("select", { id: "sig-page" });
  const pages = () => Math.max(1, Number(form.read().pages) || 1);
  const refreshPages = () => {
    const n = pages();
    const was = sigPage.value || "1";
    sigPage.replaceChildren(...Array.from({ length: n }, (_, i) => h("option", { value: i + 1, selected: String(i + 1) === was }, t("sig.page", { n: i + 1 }))));
    sigPage.parentElement && (sigPage.parentElement.hidden = n < 2);
  };
  form.node.addEventListener("input", refreshPages);

  const who = () => {
    const name = sigName.value.trim();
    if (!name) {
      toast(t("sig.name_needed"), "error");
      sigName.focus();
      return null;
    }
    const page = pages() > 1 ? Number(sigPage.value) : undefined;
    return { role: sigRole.value, name, ...(page ? { page } : {}) };
  };
  async function addSignature(sig) {
    signatures.push(sig);
    await saveDraft();
    renderSignatures();
  }
  function renderSignatures() {
    const n = pages();
    const needed = sigRule?.roles || [];
    const byPage = Array.from({ length: n }, (_, i) => signatures.filter((s) => (s.page || 1) === i + 1));
    sigList.replaceChildren(...[
      signatures.map((s) => h("div", { class: "row signature", dataset: { method: s.method, role: s.role } },
        h("span", { class: "badge" }, t(`role.${s.role}`)), s.name, h("span", { class: "muted" }, t(`method.${s.method}`)),
        s.page ? h("span", { class: "muted" }, t("sig.page", { n: s.page })) : null,
        s.refusal_reason ? h("span", { class: "muted" }, `“${s.refusal_reason}”`) : null)),
      needed.length ? h("div", { class: "muted", id: "sig-coverage" }, byPage.map((list, i) => {
        const have = new Set(list.map((s) => s.role));
        const miss = needed.filter((r) => !have.has(r));
        return h("div", {}, `${n > 1 ? `${t("sig.page", { n: i + 1 })}: ` : ""}${miss.length ? t("sig.missing", { roles: miss.map((r) => t(`role.${r}`)).join("、") }) : t("sig.complete")}`);
      })) : null,
    ].flat().filter(Boolean));
  }

  const methodBox = h("div", { id: "method-box" });
  function drawn(role, note) {
    let canvas = h("canvas", { class: "pad", id: "sig-pad" });
    // A new size needs a new pad: a fresh canvas, so no old listener draws on it.
    const remake = () => {
      const fresh = canvas.cloneNode();
      canvas.replaceWith(fresh);
      canvas = fresh;
      pad = new SignaturePad(canvas);
    };
    const full = h("button", { id: "sig-fullscreen", onclick: () => {
      full.textContent = fullscreenSignature(methodBox, remake) ? t("forms.signature.done") : t("forms.signature.fullscreen");
    } }, t("forms.signature.fullscreen"));
    methodBox.replaceChildren(note ? h("p", { class: "badge warn" }, note) : "", canvas,
      h("div", { class: "row" },
        h("button", { id: "sig-clear", onclick: () => pad.clear() }, t("sig.clear")),
        full,
        h("button", { class: "primary", id: "sig-save", onclick: async () => {
          const signer = who();
          if (!signer) return;
          if (role) signer.role = role;
          if (pad.isEmpty()) return toast(t("sig.empty"), "error");
          try {
            const png = await pad.png();
            const drawing = pad.data();
            const { blob } = await queueMedia("media.signature", png, { filename: "signature.png", label: `${t("method.drawn")} · ${signer.name}`, payload: { signer: { role: signer.role, name: signer.name }, strokes: drawing.strokes.map((st) => st.points) } });
            await addSignature({ ...signer, method: "drawn", blob: blob.sha256, started_at: drawing.started_at, pad: { width: drawing.width, height: drawing.height }, pointer_types: [...new Set(drawing.strokes.map((st) => st.pointer_type))] });
            pad.clear();
            if (methodBox.classList.contains("sig-fullscreen")) full.click();
            toast(t("sig.saved"));
          } catch (e) { fail(e); }
        } }, t("sig.save"))));
    let pad = new SignaturePad(canvas);
  }
  async function fingerprint() {
    const docHash = await textHash(JSON.stringify({ kind, case_id: id, payload: form.read() }));
    let photo = null;
    const input = h("input", { type: "file", accept: "image/*", capture: "environment", id: "fp-photo", onchange: (e) => (photo = e.target.files[0] || null) });
    methodBox.replaceChildren(
      h("label", { for: "fp-photo" }, t("fp.photo")), input,
      h("p", {}, t("fp.confirming")), verifyDetails([h("p", { class: "mono", id: "fp-hash" }, docHash)]),
      holdButton(t("fp.hold"), async (heldMs) => {
        const signer = who();
        if (!signer) return;
        if (!photo) return toast(t("fp.photo_needed"), "error");
        try {
          const { blob } = await queueMedia("media.fingerprint", photo, { filename: photo.name, label: `${t("method.fingerprint")} · ${signer.name}`, payload: { signer: { role: signer.role, name: signer.name }, caption: `SHA-256 ${docHash}` } });
          await addSignature({ ...signer, method: "fingerprint", blob: blob.sha256, document_hash: docHash, hold_ms: heldMs, confirmed_at: new Date().toISOString() });
          toast(t("sig.saved"));
          methodBox.replaceChildren();
        } catch (e) { fail(e); }
      }),
    );
  }
  // What counts after a refusal is the agency's: pingluo §14 takes two officers, never a witness.
  const refusalAccepts = pack.signatures?.refusal?.accepts || ["witness", "two_officers"];
  const witnessCounts = refusalAccepts.includes("witness");
  const refusalThen = witnessCounts
    ? (refusalAccepts.includes("two_officers") ? "refusal.then" : "refusal.then_witness")
    : "refusal.then_two_officers";
  function refusal() {
    const reason = h("textarea", { id: "refusal-reason", rows: 3, placeholder: t("refusal.reason") });
    methodBox.replaceChildren(
      h("label", { for: "refusal-reason" }, t("refusal.reason")), reason,
      h("p", { class: "muted", id: "refusal-then" }, t(refusalThen)),
      h("div", { class: "row" },
        h("button", { class: "primary", id: "refusal-save", onclick: async () => {
          const signer = who();
          if (!signer) return;
          if (!reason.value.trim()) return toast(t("refusal.reason_needed"), "error");
          await addSignature({ ...signer, method: "refused", refusal_reason: reason.value.trim() });
          toast(t("refusal.saved"));
          // Next: a witness signs (where the agency accepts one), or two officers attest with
          // passkeys after the record is sent.
          if (!witnessCounts) return;
          sigRole.value = "witness";
          sigName.value = "";
          drawn("witness", t("refusal.witness_now"));
        } }, t("refusal.save")),
        h("button", { id: "refusal-video", onclick: () => avPanel("video", { purpose: t("refusal.av") }) }, t("refusal.av"))),
    );
  }

  // -- co-signing by officers with passkeys, one after the other on this device, once the entry has its hash.
  // A shared phone holds several officers' passkeys: each signer is named first, so the phone offers only
  // that officer's passkey and the server checks the passkey that answered is theirs.
  const cosignBox = h("div", { id: "cosign-box" });
  const signedList = h("div", { id: "cosigned-list" });
  async function cosign(item, signer) {
    const pk = await session.passkeys();
    if (!pk.signEntry) return toast(t("cosign.unavailable"), "error");
    try {
      const refused = (item.body.payload.signatures || []).some((x) => x.method === "refused");
      const meaning = refused ? "attest_refusal" : "co_sign";
      const res = await pk.signEntry(item.result.hash, meaning, { clientId: crypto.randomUUID(), signer: signer.staff_id });
      toast(t("cosign.done", { name: signer.name }));
      signedList.append(h("div", { class: "badge ok cosigned", dataset: { signer: res?.actor || signer.staff_id } },
        `${t("cosign.signed")} ${signer.name}`));
      await renderOthers(item, meaning);
    } catch (e) { fail(e); }
  }
  const othersBox = h("div", { id: "cosign-others" });
  async function renderOthers(item, meaning) {
    const pk = await session.passkeys();
    let signers;
    try {
      signers = await pk.coSigners(item.result.hash, meaning);
    } catch {
      othersBox.replaceChildren(h("p", { class: "muted" }, t("cosign.signers_offline")));
      return;
    }
    const mine = signers.find((x) => x.staff_id === me?.staff_id);
    const mineBtn = document.getElementById("cosign");
    if (mineBtn && mine?.signed) mineBtn.disabled = true;
    const others = signers.filter((x) => x.staff_id !== me?.staff_id && !x.signed);
    if (!others.length) {
      othersBox.replaceChildren(h("p", { class: "muted" }, t("cosign.none_other")));
      return;
    }
    const pick = h("select", { id: "cosigner" }, others.map((x) => h("option", { value: x.staff_id }, x.name)));
    othersBox.replaceChildren(
      h("h3", {}, t("cosign.other")),
      h("label", { for: "cosigner" }, t("cosign.pick")), pick,
      h("button", { class: "primary", id: "cosign-other", onclick: () => cosign(item, others.find((x) => x.staff_id === pick.value)) }, t("cosign.other_button")),
      // Or the colleague signs later on their own phone: a to-sign item and a push reach them.
      h("button", { id: "cosign-ask", onclick: () => askToSign(item.result.hash, others.find((x) => x.staff_id === pick.value), meaning) }, t("docs.tosign.ask")),
    );
  }
  async function askToSign(hash, signer, meaning) {
    try {
      await json(`/api/entries/${hash}/signatures/requests`, { method: "POST", body: { signer: signer.staff_id, meaning } });
      toast(t("docs.tosign.asked", { name: signer.name }));
    } catch (e) {
      toast(e.message, "error");
    }
  }
  function renderCosign(item) {
    if (item.state !== "sent") {
      cosignBox.replaceChildren(h("p", { class: "muted" }, t("cosign.after_sync")));
      return;
    }
    const refused = (item.body.payload.signatures || []).some((x) => x.method === "refused");
    const self = { staff_id: me?.staff_id, name: me?.name || me?.staff_id || "" };
    cosignBox.replaceChildren(
      h("p", {}, t("cosign.hint")), verifyDetails([[t("forms.entry_hash"), item.result.hash]]),
      h("button", { class: "primary", id: "cosign", onclick: () => cosign(item, self) }, t("cosign.me", { name: self.name })),
      signedList, othersBox,
    );
    renderOthers(item, refused ? "attest_refusal" : "co_sign");
  }

  async function submit() {
    // The same JSON Schema the server checks, before the record is queued: errors at their fields.
    const values = form.read();
    const withSignatures = schema.properties?.signatures && signatures.length ? { ...values, signatures: signatures.map(({ _local, ...s }) => s) } : values;
    if (!form.check(withSignatures)) return;
    if (recording) return toast(t("av.still_recording"), "error");
    // A fingerprint confirms the record's hash at that moment: after any edit it confirms nothing.
    const now = await textHash(JSON.stringify({ kind, case_id: id, payload: form.read() }));
    const stale = signatures.filter((s) => s.method === "fingerprint" && s.document_hash !== now);
    if (stale.length) {
      signatures.splice(0, signatures.length, ...signatures.filter((s) => !stale.includes(s)));
      await saveDraft();
      renderSignatures();
      return toast(t("fp.stale", { names: stale.map((s) => s.name).join("、") }), "error");
    }
    clearTimeout(saveTimer); // a pending autosave must not turn the submitted record back into a draft
    try {
      const item = await saveDraft("queued");
      toast(t("step.queued"));
      renderCosign(item);
      const watch = (e) => {
        if (e.detail.id !== item.id) return;
        renderCosign(e.detail);
        if (e.detail.state === "sent") outbox.events.removeEventListener("change", watch);
      };
      outbox.events.addEventListener("change", watch);
      draft = null;
      signatures.length = 0;
      blobs.clear();
      renderSignatures();
    } catch (e) { fail(e); }
  }

  refreshItems();
  renderSignatures();
  const kindSelect = writable.length > 1
    ? h("select", { id: "kind", onchange: (e) => router.go(`/cases/${id}/steps/${stepId}?kind=${e.target.value}`) },
      await Promise.all(writable.map(async (k) => h("option", { value: k, selected: k === kind }, titleOf(await cases.schema(k).catch(() => ({ title: k })))))))
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
    draft?.refused ? h("p", { class: "card refused", id: "refusal" }, h("b", {}, `${t("forms.refused.title")}：`), refusalText(draft.refused)) : null,
    form.node,
    h("h2", {}, t("step.capture")),
    h("div", { class: "row" }, openCam, shoot, closeCam),
    camBox,
    h("label", { for: "native-photo" }, t("capture.native")),
    native,
    h("div", { class: "row", style: "margin-top:8px" },
      h("button", { id: "av-audio", onclick: () => avPanel("audio") }, t("capture.audio")),
      h("button", { id: "av-video", onclick: () => avPanel("video") }, t("capture.video"))),
    avBox,
    stepItems,
    schema.properties?.signatures ? [
      h("h2", {}, t("step.signatures")),
      h("div", { class: "cols" },
        h("div", {}, h("label", { for: "sig-role" }, t("sig.role")), sigRole),
        h("div", {}, h("label", { for: "sig-name" }, t("sig.name")), sigName)),
      h("div", { hidden: pages() < 2 }, h("label", { for: "sig-page" }, t("sig.page_label")), sigPage),
      h("div", { class: "row" },
        h("button", { id: "method-drawn", onclick: () => drawn() }, t("method.drawn")),
        h("button", { id: "method-fingerprint", onclick: () => fingerprint().catch(fail) }, t("method.fingerprint")),
        h("button", { id: "method-refused", onclick: refusal }, t("method.refused"))),
      methodBox,
      sigList,
    ] : null,
    cosignBox,
    h("div", { class: "actions" },
      h("button", { id: "save-draft", onclick: () => saveDraft().then(() => toast(t("step.draft_saved")), fail) }, t("step.save_draft")),
      h("button", { class: "primary", id: "submit", onclick: submit }, t("step.submit"))),
  );
  refreshPages();
  return node;
}
