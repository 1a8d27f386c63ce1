// Fingerprint confirmation: a photo of the inked print, and a press-and-hold that confirms the record's hash
// at that moment. An edit after it changes the hash, so the confirmation then confirms nothing.
import { holdButton } from "../../capture/hold_button.js";
import { h, showError, toast } from "../../dom.js";
import { verifyDetails } from "../../forms/plain.js";
import { textHash } from "../../hash.js";
import { t } from "../../i18n.js";

/** The hash a fingerprint confirms: the record as the form holds it now. */
export const recordHash = (kind, id, form) => textHash(JSON.stringify({ kind, case_id: id, payload: form.read() }));

/** Fill `box` with the fingerprint method; `who()` names the signer, `add` keeps the signature. */
export async function fingerprintMethod({ box, kind, id, form, draft, who, add }) {
  const docHash = await recordHash(kind, id, form);
  let photo = null;
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", id: "fp-photo", onchange: (e) => (photo = e.target.files[0] || null) });
  box.replaceChildren(
    h("label", { for: "fp-photo" }, t("fp.photo")), input,
    h("p", {}, t("fp.confirming")), verifyDetails([h("p", { class: "mono", id: "fp-hash" }, docHash)]),
    holdButton(t("fp.hold"), async (heldMs) => {
      const signer = who();
      if (!signer) return;
      if (!photo) return toast(t("fp.photo_needed"), "error");
      try {
        const { blob } = await draft.queueMedia("media.fingerprint", photo, { filename: photo.name, label: `${t("method.fingerprint")} · ${signer.name}`, payload: { signer: { role: signer.role, name: signer.name }, caption: `SHA-256 ${docHash}` } });
        await add({ ...signer, method: "fingerprint", blob: blob.sha256, document_hash: docHash, hold_ms: heldMs, confirmed_at: new Date().toISOString() });
        toast(t("sig.saved"));
        box.replaceChildren();
      } catch (e) { showError(e); }
    }),
  );
}

/** Take out the fingerprints that confirm an earlier state of the record; returns them. */
export async function dropStaleFingerprints(signatures, { kind, id, form }) {
  const now = await recordHash(kind, id, form);
  const stale = signatures.filter((s) => s.method === "fingerprint" && s.document_hash !== now);
  if (stale.length) signatures.splice(0, signatures.length, ...signatures.filter((s) => !stale.includes(s)));
  return stale;
}
