// The step's record on the device: an outbox item in state "draft" from the first change on, with the
// signatures and captures taken for it. Submitted, it is queued after every capture taken for it.
import { showError } from "../../dom.js";
import { titleOf } from "../../i18n.js";
import * as outbox from "../../outbox.js";
import * as stamps from "../../stamps.js";

const AUTOSAVE_MS = 400;

/**
 * `item` is the latest unsent draft of this step (reopened), or null. `onCaptured` redraws what was taken.
 * The returned object keeps the signatures list the signature panel adds to.
 */
export function stepDraft({ id, stepId, kind, schema, form, item, onCaptured }) {
  let draft = item;
  const signatures = [...(draft?.draft.signatures || [])];
  const blobs = new Set(draft?.body.blobs || []);

  /** The form's values with the signatures taken, as the record's payload. */
  const payload = (values = form.read()) => (schema.properties?.signatures && signatures.length
    ? { ...values, signatures: signatures.map(({ _local, ...s }) => s) }
    : { ...values });

  // Media payloads carry only what their kinds' schemas allow (the server adds size, findings, EXIF).
  const mediaBody = (mediaKind, blob, extra = {}) => ({
    sha256: blob.sha256,
    kind: mediaKind,
    media_type: blob.media_type,
    claimed: stamps.stamp(),
    device: stamps.device(),
    // A capture is as confidential as the record it is taken for (its schema's select).
    payload: { step: kind, confidentiality: form.read().confidentiality, ...extra }, // the file name travels in the upload's metadata
  });

  async function save(state = "draft") {
    const values = form.read();
    const body = {
      kind,
      payload: payload(values),
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

  /** Keep a capture on the device and queue it for the record; the draft then names its bytes. */
  async function queueMedia(mediaKind, data, { filename, label, payload: extra } = {}) {
    const blob = await outbox.keepBlob(data, { media_type: data.type || "application/octet-stream", filename });
    blobs.add(blob.sha256);
    const queued = await outbox.enqueue({ type: "media", case_id: id, label, blob, body: mediaBody(mediaKind, blob, extra) });
    await save();
    onCaptured();
    return { blob, item: queued };
  }

  // Autosave: a pause in typing writes the draft.
  let saveTimer = 0;
  form.node.addEventListener("input", () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => save().catch(showError), AUTOSAVE_MS);
  });

  /** Queue the record for sending; the screen then starts a new, empty draft. */
  async function submit() {
    clearTimeout(saveTimer); // a pending autosave must not turn the submitted record back into a draft
    const queued = await save("queued");
    draft = null;
    signatures.length = 0;
    blobs.clear();
    return queued;
  }

  return { signatures, payload, save, queueMedia, submit, refused: draft?.refused || null };
}
