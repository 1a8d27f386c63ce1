// Signatures on a step's record: who signs (role, name, page of a multi-page record), then how: drawn on the
// pad, a fingerprint confirmation, or a refusal to sign followed by a witness or two officers.
import { SignaturePad } from "../../capture/signature_pad.js";
import { h, showError, toast } from "../../dom.js";
import { fullscreenSignature } from "../../forms/signature_mode.js";
import { t } from "../../i18n.js";
import { fingerprintMethod } from "./fingerprint.js";

const SIGNER_ROLES = ["party", "officer", "witness", "participant", "recipient"];

/**
 * The signature panel of a record whose schema has signatures. `openAv(media, opts)` starts a recording
 * (a refusal may be filmed). Returns the panel's nodes and `render()` to redraw the list.
 */
export function signaturePanel({ pack, kind, id, form, draft, sigRule, openAv }) {
  const { signatures } = draft;
  const list = h("div", { id: "signature-list" });
  const methodBox = h("div", { id: "method-box" });
  const sigRole = h("select", { id: "sig-role" }, SIGNER_ROLES.map((r) => h("option", { value: r }, t(`role.${r}`))));
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
  async function add(sig) {
    signatures.push(sig);
    await draft.save();
    render();
  }
  function render() {
    const n = pages();
    const needed = sigRule?.roles || [];
    const byPage = Array.from({ length: n }, (_, i) => signatures.filter((s) => (s.page || 1) === i + 1));
    list.replaceChildren(...[
      signatures.map((s) => h("div", { class: "row signature", dataset: { method: s.method, role: s.role } },
        h("span", { class: "badge" }, t(`role.${s.role}`)), s.name, h("span", { class: "muted" }, t(`method.${s.method}`)),
        s.page ? h("span", { class: "muted" }, t("sig.page", { n: s.page })) : null,
        s.refusal_reason ? h("span", { class: "muted" }, `“${s.refusal_reason}”`) : null)),
      needed.length ? h("div", { class: "muted", id: "sig-coverage" }, byPage.map((onPage, i) => {
        const have = new Set(onPage.map((s) => s.role));
        const miss = needed.filter((r) => !have.has(r));
        return h("div", {}, `${n > 1 ? `${t("sig.page", { n: i + 1 })}: ` : ""}${miss.length ? t("sig.missing", { roles: miss.map((r) => t(`role.${r}`)).join("、") }) : t("sig.complete")}`);
      })) : null,
    ].flat().filter(Boolean));
  }

  function drawn(role, note) {
    let canvas = h("canvas", { class: "pad", id: "sig-pad" });
    let pad = null;
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
            const { blob } = await draft.queueMedia("media.signature", png, { filename: "signature.png", label: `${t("method.drawn")} · ${signer.name}`, payload: { signer: { role: signer.role, name: signer.name }, strokes: drawing.strokes.map((st) => st.points) } });
            await add({ ...signer, method: "drawn", blob: blob.sha256, started_at: drawing.started_at, pad: { width: drawing.width, height: drawing.height }, pointer_types: [...new Set(drawing.strokes.map((st) => st.pointer_type))] });
            pad.clear();
            if (methodBox.classList.contains("sig-fullscreen")) full.click();
            toast(t("sig.saved"));
          } catch (e) { showError(e); }
        } }, t("sig.save"))));
    pad = new SignaturePad(canvas);
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
          await add({ ...signer, method: "refused", refusal_reason: reason.value.trim() });
          toast(t("refusal.saved"));
          // Next: a witness signs (where the agency accepts one), or two officers attest with
          // passkeys after the record is sent.
          if (!witnessCounts) return;
          sigRole.value = "witness";
          sigName.value = "";
          drawn("witness", t("refusal.witness_now"));
        } }, t("refusal.save")),
        h("button", { id: "refusal-video", onclick: () => openAv("video", { purpose: t("refusal.av") }) }, t("refusal.av"))),
    );
  }

  const nodes = [
    h("h2", {}, t("step.signatures")),
    h("div", { class: "cols" },
      h("div", {}, h("label", { for: "sig-role" }, t("sig.role")), sigRole),
      h("div", {}, h("label", { for: "sig-name" }, t("sig.name")), sigName)),
    h("div", { hidden: pages() < 2 }, h("label", { for: "sig-page" }, t("sig.page_label")), sigPage),
    h("div", { class: "row" },
      h("button", { id: "method-drawn", onclick: () => drawn() }, t("method.drawn")),
      h("button", { id: "method-fingerprint", onclick: () => fingerprintMethod({ box: methodBox, kind, id, form, draft, who, add }).catch(showError) }, t("method.fingerprint")),
      h("button", { id: "method-refused", onclick: refusal }, t("method.refused"))),
    methodBox,
    list,
  ];
  return { nodes, list, render, refreshPages };
}
