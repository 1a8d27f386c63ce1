// Audio and video sessions of a step: the start statement read aloud, interruptions with their reasons,
// resuming, ending, or closing an interrupted session in writing with a second officer.
import { AvSession, INTERRUPT_REASONS, openSessions, supportedType } from "../../capture/recorder.js";
import { h, showError, toast } from "../../dom.js";
import { t, titleOf } from "../../i18n.js";
import { screenSignal } from "../../router.js";
import * as stamps from "../../stamps.js";

const STATEMENT = ["av.statement.time_place", "av.statement.officers", "av.statement.notice", "av.statement.matter"];
const PREVIEW_STYLE = "width:100%;border-radius:12px;background:#000";

// The session recording now, on any step: the screen may not be left while it runs.
let recording = null;
export const isRecording = () => Boolean(recording);

/** Ask why a session stops (or, `closing`, why it ends in writing and which officer signs with me). */
function askInterruption(me, { closing = false } = {}) {
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

/**
 * The step's recording panel. `open(media, { purpose })` starts a new session's statement; sessions a crash
 * or an interruption left open are shown to resume or close. `onEnded` redraws the captures.
 */
export async function avCapture({ c, id, stepId, kind, schema, me, form, onEnded }) {
  const box = h("div", { id: "av-box" });

  function controls(session, preview) {
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
    screenSignal().addEventListener("abort", () => clearInterval(timer), { once: true });
    const done = () => {
      recording = null;
      clearInterval(timer);
      box.replaceChildren();
      onEnded();
    };
    interruptBtn.onclick = async () => {
      const answer = await askInterruption(me);
      if (!answer) return;
      try {
        await session.interrupt(answer.reason, answer.explanation);
        resumeBtn.textContent = t("av.resume_with", { reason: answer.explanation });
      } catch (e) { showError(e); }
      show();
    };
    resumeBtn.onclick = async () => {
      try {
        recording = session;
        await session.resume(preview);
      } catch (e) { showError(e); }
      show();
    };
    closeBtn.onclick = async () => {
      const answer = await askInterruption(me, { closing: true });
      if (!answer) return;
      try {
        await session.closeInWriting(answer.reason, answer.explanation, answer.signedBy);
      } catch (e) { return showError(e); }
      done();
    };
    endBtn.onclick = async () => {
      try {
        await session.end();
      } catch (e) { showError(e); }
      done();
      toast(t("capture.saved"));
    };
    show();
    return h("div", {}, status, h("div", { class: "row" }, interruptBtn, resumeBtn, endBtn, closeBtn));
  }

  function open(mediaKind, { purpose } = {}) {
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
    const preview = mediaKind === "video" ? h("video", { playsinline: true, muted: true, style: PREVIEW_STYLE }) : null;
    const sessionBox = h("div", {});
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
        recording.onerror = showError;
      } catch (e) { recording = null; return showError(e); }
      startBtn.hidden = true;
      checks.forEach((l) => (l.querySelector("input").disabled = true));
      sessionBox.replaceChildren(controls(recording, preview));
    };
    box.replaceChildren(h("div", { class: "card av-session", dataset: { media: mediaKind } },
      h("b", {}, t("av.session", { media: t(`media.${mediaKind}`) })),
      h("p", { class: "muted" }, t("av.read_statement")),
      h("label", { for: "av-place" }, t("av.place")), place,
      h("div", { class: "cols" },
        h("div", {}, h("label", { for: "av-officer" }, t("av.officer")), officer),
        h("div", {}, h("label", { for: "av-cert" }, t("av.certificate")), cert)),
      h("label", { for: "av-reason" }, t("av.reason")), reason,
      h("label", { for: "av-target" }, t("av.target")), target,
      checks, preview, startBtn, sessionBox));
    box.scrollIntoView({ behavior: "smooth" });
  }

  // A session a crash interrupted (or one left interrupted) can be resumed or ended here.
  for (const data of await openSessions(id, stepId)) {
    const session = await AvSession.reopen(data.session_id);
    if (session.state === "recording") session.data.state = "interrupted";
    const preview = data.media === "video" ? h("video", { playsinline: true, muted: true, style: PREVIEW_STYLE }) : null;
    box.append(h("div", { class: "card av-session open-session", dataset: { media: data.media, session: data.session_id } },
      h("b", {}, t("av.open_session", { media: t(`media.${data.media}`) })), preview, controls(session, preview)));
  }

  const buttons = h("div", { class: "row", style: "margin-top:8px" },
    h("button", { id: "av-audio", onclick: () => open("audio") }, t("capture.audio")),
    h("button", { id: "av-video", onclick: () => open("video") }, t("capture.video")));
  return { buttons, box, open };
}
