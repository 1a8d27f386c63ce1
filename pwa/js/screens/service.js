// Service of documents (送达) for one case: the party's consent to electronic service, links with their
// QR code (made by the server, so online only), their status and revocation, and public notices with
// photos of where they are posted. Consent and posting photos go through the outbox, so they can be
// taken on site without a connection.
import { ApiError, json } from "../api.js";
import { openCamera } from "../capture/camera.js";
import { SignaturePad } from "../capture/signature_pad.js";
import { entriesOf, entryLabel, forget } from "../case_entries.js";
import * as cases from "../cases.js";
import { ask, h, showError, toast } from "../dom.js";
import { t, titleOf } from "../i18n.js";
import * as outbox from "../outbox.js";
import { everyWhileShown, screenSignal } from "../router.js";
import { loadHints, renderForm } from "../schema_form.js";
import * as stamps from "../stamps.js";
import { consentText } from "./consent_text.js";

const POLL_MS = 4000;
const CHANNELS = ["link", "sms", "email"];

const fail = showError;

const offline = (e) => !(e instanceof ApiError) || e.status === 0;

/** What an officer needs to know about a link, in one word. */
export function linkStatus(l) {
  if (l.status === "revoked") return "revoked";
  if (l.confirmed_entry) return "confirmed";
  if (l.status === "expired") return "expired";
  return l.served_at ? "opened" : "issued";
}

export async function render({ id }) {
  const c = await cases.getCase(id);
  await loadHints();
  // The consent form's one schema-driven field; its schema may not be on a device that never saw it online.
  const consentSchema = await cases.schema("service.consent").catch(() => ({
    properties: { form_blob: { type: "string", pattern: "^[0-9a-f]{64}$", "x-widget": "photo", title: "确认书扫描件", "x-title-en": "Signed consent form" } },
  }));
  const parties = (c.parties || []).map((p) => p.name).filter(Boolean);
  const stampLines = () => [new Date().toLocaleString(), `${c.number || c.title}`.slice(0, 40)];

  async function queuePhoto(mediaKind, data, { filename, label, payload = {} }) {
    const blob = await outbox.keepBlob(data, { media_type: data.type || "image/jpeg", filename });
    await outbox.enqueue({
      type: "media",
      case_id: id,
      label,
      blob,
      body: { sha256: blob.sha256, kind: mediaKind, media_type: blob.media_type, claimed: stamps.stamp(), device: stamps.device(), payload: { step: "service.consent", ...payload } },
    });
    return blob;
  }

  // -- consent (电子送达确认书)
  const consentList = h("div", { id: "consent-list" });
  const recipient = h("select", { id: "consent-recipient" }, h("option", { value: "" }, t("form.choose")), parties.map((n) => h("option", { value: n }, n)));
  const channelBoxes = CHANNELS.map((ch) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "consent-channel", value: ch, checked: ch === "link" }), t(`service.channel.${ch}`)));
  const contact = h("input", { id: "consent-contact", placeholder: t("service.consent.contact_hint") });
  const agency = (await cases.pack(cases.packIdOf(c)).catch(() => null))?.agency;
  const evidence = renderForm({ properties: { form_blob: consentSchema.properties.form_blob } }, {}, {
    ctx: {
      attachPhoto: (data, { filename }) => queuePhoto("media.photo", data, { filename: filename || "consent-form.jpg", label: t("service.consent.form_photo"), payload: { caption: `${t("service.consent.title")} | ${stampLines().join(" | ")}` } }),
      overlay: stampLines,
    },
  });
  const canvas = h("canvas", { class: "pad", id: "consent-pad" });
  const padBox = h("div", {});
  let pad = null;
  let partySignature = null;
  const sigState = h("span", { class: "muted", id: "consent-sig-state" }, t("service.consent.not_signed"));
  const saveSig = h("button", { type: "button", id: "consent-sig-save", onclick: async () => {
    if (pad.isEmpty()) return toast(t("sig.empty"), "error");
    if (!recipient.value) return toast(t("service.consent.who"), "error");
    try {
      const png = await pad.png();
      const drawing = pad.data();
      const blob = await queuePhoto("media.signature", png, { filename: "consent-signature.png", label: `${t("method.drawn")} · ${recipient.value}`, payload: { signer: { role: "party", name: recipient.value }, strokes: drawing.strokes.map((st) => st.points) } });
      partySignature = { role: "party", name: recipient.value, method: "drawn", blob: blob.sha256, started_at: drawing.started_at };
      sigState.textContent = `${t("sig.saved")} · ${blob.sha256.slice(0, 12)}`;
    } catch (e) { fail(e); }
  } }, t("sig.save"));
  const recordConsent = h("button", { class: "primary", id: "consent-save", onclick: async () => {
    const channels = channelBoxes.map((l) => l.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
    const formBlob = evidence.read().form_blob;
    if (!recipient.value) return toast(t("service.consent.who"), "error");
    if (!channels.length || !contact.value.trim()) return toast(t("service.consent.address_needed"), "error");
    if (!formBlob && !partySignature) return toast(t("service.consent.evidence_needed"), "error");
    const payload = { recipient: recipient.value, channels, contact: contact.value.trim(), signed_at: new Date().toISOString() };
    if (formBlob) payload.form_blob = formBlob;
    if (partySignature) payload.signatures = [partySignature];
    try {
      await outbox.enqueue({ type: "entry", case_id: id, label: `${t("service.consent.title")} · ${recipient.value}`, body: { kind: "service.consent", payload, claimed: stamps.stamp(), device: stamps.device(), blobs: [], signatures: [] } });
      toast(t("service.consent.queued"));
      partySignature = null;
      pad?.clear();
      sigState.textContent = t("service.consent.not_signed");
      refreshConsents();
    } catch (e) { fail(e); }
  } }, t("service.consent.save"));

  async function refreshConsents() {
    const recorded = await entriesOf(id, ["service.consent"]).catch(() => []);
    const pending = (await outbox.items()).filter((i) => i.case_id === id && i.type === "entry" && i.body?.kind === "service.consent" && i.state !== "sent");
    consentList.replaceChildren(
      ...recorded.map((e) => h("div", { class: "row consent", dataset: { state: "recorded", recipient: e.payload.recipient } },
        h("span", { class: "badge ok" }, t("service.consent.recorded")), `${e.payload.recipient} · ${(e.payload.channels || []).map((x) => t(`service.channel.${x}`)).join("、")} · ${e.payload.contact || ""}`)),
      ...pending.map((i) => h("div", { class: "row consent", dataset: { state: i.state, recipient: i.body.payload.recipient } },
        h("span", { class: `badge state-${i.state}` }, t(`state.${i.state}`)), i.body.payload.recipient, i.error ? h("span", { class: "muted" }, i.error.message) : null)),
    );
    if (!recorded.length && !pending.length) consentList.append(h("p", { class: "muted" }, t("service.consent.none")));
    linkRecipient.replaceChildren(...[...new Set(recorded.filter((e) => (e.payload.channels || []).includes("link")).map((e) => e.payload.recipient))].map((n) => h("option", { value: n }, n)));
  }

  // -- links (the server makes the token; it is shown once)
  const docSelect = h("select", { id: "link-document" });
  const linkRecipient = h("select", { id: "link-recipient" });
  const expiryDays = h("input", { id: "link-expiry", type: "number", min: 1, value: 30 });
  const statementDays = h("input", { id: "link-statement-days", type: "number", min: 1, placeholder: t("service.link.statement_days_hint") });
  const created = h("div", { id: "link-created" });
  const linkList = h("div", { id: "link-list" });
  const netNote = h("p", { class: "badge warn", id: "service-offline" }, t("service.offline"));
  // A badge's display rule beats the hidden attribute, so the note is shown and hidden by style.
  const showOffline = (on) => (netNote.style.display = on ? "" : "none");
  showOffline(!navigator.onLine);
  const createLink = h("button", { class: "primary", id: "link-create", onclick: async () => {
    if (!docSelect.value) return toast(t("service.link.document_needed"), "error");
    const body = { client_id: crypto.randomUUID(), document_entry: docSelect.value, expires_at: new Date(Date.now() + Number(expiryDays.value || 30) * 86400000).toISOString() };
    if (linkRecipient.value) body.recipient = linkRecipient.value;
    if (statementDays.value) body.statement_days = Number(statementDays.value);
    createLink.disabled = true;
    created.replaceChildren();
    try {
      const out = await json(`/api/cases/${encodeURIComponent(id)}/service/links`, { method: "POST", body });
      const qr = h("div", { class: "qr", id: "link-qr" });
      qr.innerHTML = out.qr_svg || ""; // the server's own SVG of the link
      created.replaceChildren(h("div", { class: "card" },
        h("b", {}, t("service.link.made")),
        h("p", { class: "badge warn" }, t("service.link.once")),
        qr,
        h("p", { style: "word-break:break-all" }, h("a", { id: "link-url", href: out.url, target: "_blank", rel: "noopener noreferrer" }, out.url)),
        h("button", { type: "button", onclick: () => navigator.clipboard?.writeText(out.url).then(() => toast(t("service.link.copied"))) }, t("service.link.copy")),
        h("button", { type: "button", onclick: () => created.replaceChildren() }, t("service.link.hide"))));
      refreshLinks();
    } catch (e) {
      if (offline(e)) { showOffline(true); toast(t("service.offline"), "error"); }
      else if (e.code === "no_consent") toast(t("service.link.no_consent"), "error");
      else fail(e);
    } finally { createLink.disabled = false; }
  } }, t("service.link.create"));

  async function refreshLinks() {
    let list;
    try {
      list = await json(`/api/cases/${encodeURIComponent(id)}/service/links`);
      showOffline(false);
    } catch (e) {
      if (!offline(e)) throw e;
      showOffline(true);
      return;
    }
    linkList.replaceChildren(...(list.length ? list : [null]).map((l) => {
      if (!l) return h("p", { class: "muted" }, t("service.link.none"));
      const status = linkStatus(l);
      return h("div", { class: "row service-link", dataset: { link: l.link_entry, status } },
        h("span", { class: "grow" }, `${l.document_name} · ${l.recipient}`,
          h("div", { class: "muted" }, l.served_at ? `${t("service.link.served_at")} ${new Date(l.served_at).toLocaleString()}` : `${t("service.link.expires")} ${new Date(l.expires_at).toLocaleString()}`)),
        h("span", { class: `badge status-${status}` }, t(`service.status.${status}`)),
        status === "issued" || status === "opened"
          ? h("button", { class: "danger revoke", onclick: async () => {
            const reason = await ask(t("service.link.revoke_title"), { label: t("service.link.revoke_reason") });
            if (!reason) return;
            try {
              await json(`/api/cases/${encodeURIComponent(id)}/service/links/${l.link_entry}/revoke`, { method: "POST", body: { reason } });
              toast(t("service.link.revoked"));
              refreshLinks();
            } catch (e) { offline(e) ? toast(t("service.offline"), "error") : fail(e); }
          } }, t("service.link.revoke"))
          : null);
    }));
  }

  // -- public notices: published online; posting photos go through the outbox
  const noticePurpose = h("select", { id: "notice-purpose" }, ["service", "decision"].map((p) => h("option", { value: p }, t(`service.notice.purpose.${p}`))));
  const noticeTitle = h("input", { id: "notice-title" });
  const noticeText = h("textarea", { id: "notice-text", rows: 4 });
  const noticeDoc = h("select", { id: "notice-document" });
  const noticeRecord = h("select", { id: "notice-record" });
  const noticeDays = h("input", { id: "notice-days", type: "number", min: 1, placeholder: t("service.notice.days_hint") });
  const noticeList = h("div", { id: "notice-list" });
  const publish = h("button", { class: "primary", id: "notice-publish", onclick: async () => {
    if (!noticeTitle.value.trim() || !noticeText.value.trim()) return toast(t("service.notice.text_needed"), "error");
    const body = { client_id: crypto.randomUUID(), purpose: noticePurpose.value, title: noticeTitle.value.trim(), text: noticeText.value.trim() };
    if (noticeDoc.value) body.document_entry = noticeDoc.value;
    if (noticeRecord.value) body.service_record = noticeRecord.value;
    if (noticeDays.value) body.period_days = Number(noticeDays.value);
    try {
      await json(`/api/cases/${encodeURIComponent(id)}/notices`, { method: "POST", body });
      toast(t("service.notice.published"));
      noticeTitle.value = noticeText.value = "";
      forget(id);
      refreshNotices();
    } catch (e) { offline(e) ? toast(t("service.offline"), "error") : fail(e); }
  } }, t("service.notice.publish"));

  async function postingPhoto(notice, data, filename) {
    const blob = await outbox.keepBlob(data, { media_type: data.type || "image/jpeg", filename });
    await outbox.enqueue({
      type: "media", case_id: id, label: `${t("service.notice.posting")} · ${notice.payload.title}`, blob,
      body: { sha256: blob.sha256, kind: "media.photo", media_type: blob.media_type, claimed: stamps.stamp(), device: stamps.device(), payload: { step: "service", for_entry: notice.hash, caption: `${t("service.notice.posting")} | ${stampLines().join(" | ")}` } },
    });
    toast(t("capture.saved"));
    refreshNotices();
  }

  async function refreshNotices() {
    const published = await entriesOf(id, ["notice.published"]).catch(() => []);
    const down = new Set((await entriesOf(id, ["notice.taken_down"]).catch(() => [])).map((e) => e.payload.notice_entry));
    const photos = [...(await entriesOf(id, ["media.photo"]).catch(() => [])).map((e) => ({ for: e.payload.for_entry, state: "sent" })),
      ...(await outbox.items()).filter((i) => i.case_id === id && i.type === "media" && i.body?.payload?.for_entry && i.state !== "sent").map((i) => ({ for: i.body.payload.for_entry, state: i.state }))];
    noticeList.replaceChildren(...(published.length ? published : [null]).map((n) => {
      if (!n) return h("p", { class: "muted" }, t("service.notice.none"));
      const camBox = h("div", {});
      let cam = null;
      const shoot = h("button", { class: "primary", hidden: true, onclick: async () => {
        try {
          const jpeg = await cam.shoot();
          await postingPhoto(n, jpeg, `posting-${Date.now()}.jpg`);
        } catch (e) { fail(e); }
      } }, t("capture.shoot"));
      const n_photos = photos.filter((p) => p.for === n.hash).length;
      return h("div", { class: "card notice", dataset: { notice: n.hash, state: down.has(n.hash) ? "down" : "up" } },
        h("b", {}, n.payload.title), " ", h("span", { class: "badge" }, down.has(n.hash) ? t("service.notice.down") : t("service.notice.up")),
        h("div", { class: "muted" }, `${n.payload.start_date} · ${n.payload.deemed_served_on ? `${t("service.notice.deemed")} ${n.payload.deemed_served_on}` : ""}`),
        h("div", { class: "muted posting-count" }, t("service.notice.photos", { n: n_photos })),
        h("div", { class: "row" },
          h("button", { onclick: async () => { try { cam = await openCamera(camBox, stampLines); shoot.hidden = false; } catch (e) { fail(e); } } }, t("capture.in_app")), shoot,
          down.has(n.hash) ? null : h("button", { class: "danger withdraw", onclick: async () => {
            const note = await ask(t("service.notice.withdraw_title"), { label: t("service.notice.withdraw_reason") });
            if (!note) return;
            try {
              await json(`/api/cases/${encodeURIComponent(id)}/notices/${n.hash}/withdraw`, { method: "POST", body: { note } });
              toast(t("service.notice.withdrawn"));
              forget(id);
              refreshNotices();
            } catch (e) { offline(e) ? toast(t("service.offline"), "error") : fail(e); }
          } }, t("service.notice.withdraw"))),
        camBox,
        h("label", {}, t("service.notice.posting"),
          h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, class: "posting-photo", onchange: async (e) => {
            for (const f of e.target.files) await postingPhoto(n, f, f.name).catch(fail);
            e.target.value = "";
          } })));
    }));
  }

  async function refreshPickers() {
    const docs = await entriesOf(id, ["document.generated"]).catch(() => []);
    const records = await entriesOf(id, ["record.service_public_notice"]).catch(() => []);
    const docTitle = titleOf(await cases.schema("document.generated").catch(() => ({ title: "文书" })));
    docSelect.replaceChildren(h("option", { value: "" }, docs.length ? t("form.choose") : t("service.link.no_documents")),
      ...docs.map((d) => h("option", { value: d.hash }, entryLabel(d, docTitle))));
    noticeDoc.replaceChildren(h("option", { value: "" }, t("service.notice.no_document")), ...docs.map((d) => h("option", { value: d.hash }, entryLabel(d, docTitle))));
    noticeRecord.replaceChildren(h("option", { value: "" }, t("service.notice.no_record")), ...records.map((r) => h("option", { value: r.hash }, entryLabel(r, t("service.notice.record")))));
  }

  const node = h("section", { class: "service-screen" },
    h("a", { href: `#/cases/${id}` }, `← ${c.title}`),
    h("h1", {}, t("service.title")),
    netNote,
    h("h2", {}, t("service.consent.title")),
    h("div", { class: "card", id: "consent-card" },
      h("p", { class: "muted" }, t("service.consent.help")),
      consentList,
      h("label", { for: "consent-recipient" }, t("service.consent.recipient")), recipient,
      h("div", {}, h("b", {}, t("service.consent.channels")), channelBoxes),
      h("label", { for: "consent-contact" }, t("service.consent.contact")), contact,
      consentText({ recipient, channelBoxes, contact, agency: titleOf({ title_zh: agency?.name_zh, title_en: agency?.name_en }) }),
      h("h3", {}, t("service.consent.evidence")),
      evidence.node,
      h("p", { class: "muted" }, t("service.consent.or_sign")),
      h("button", { type: "button", id: "consent-sign", onclick: () => {
        // The pad sizes itself from its place on screen, so it is made once shown.
        padBox.replaceChildren(canvas, h("div", { class: "row" }, h("button", { type: "button", onclick: () => pad.clear() }, t("sig.clear")), saveSig));
        pad = new SignaturePad(canvas);
      } }, t("service.consent.party_signs")),
      padBox, sigState,
      recordConsent),
    h("h2", {}, t("service.link.title")),
    h("div", { class: "card", id: "link-card" },
      h("p", { class: "muted" }, t("service.link.help")),
      h("label", { for: "link-document" }, t("service.link.document")), docSelect,
      h("label", { for: "link-recipient" }, t("service.consent.recipient")), linkRecipient,
      h("div", { class: "cols" },
        h("div", {}, h("label", { for: "link-expiry" }, t("service.link.expiry_days")), expiryDays),
        h("div", {}, h("label", { for: "link-statement-days" }, t("service.link.statement_days")), statementDays)),
      createLink, created,
      h("h3", {}, t("service.link.list")),
      linkList),
    h("h2", {}, t("service.notice.title")),
    h("div", { class: "card", id: "notice-card" },
      h("label", { for: "notice-purpose" }, t("service.notice.purpose")), noticePurpose,
      h("label", { for: "notice-title" }, t("service.notice.title_field")), noticeTitle,
      h("label", { for: "notice-text" }, t("service.notice.text")), noticeText,
      h("label", { for: "notice-document" }, t("service.link.document")), noticeDoc,
      h("label", { for: "notice-record" }, t("service.notice.record")), noticeRecord,
      h("label", { for: "notice-days" }, t("service.notice.days")), noticeDays,
      publish,
      noticeList),
  );
  await refreshPickers();
  await refreshConsents();
  refreshLinks().catch(fail);
  refreshNotices();
  // The officer watches a party open and confirm on their own phone: keep the list current.
  everyWhileShown(() => refreshLinks().catch(() => {}), POLL_MS);
  outbox.events.addEventListener("change", (e) => {
    if (e.detail?.case_id !== id) return;
    if (e.detail.state !== "sent" && e.detail.state !== "rejected") return;
    forget(id);
    refreshConsents().then(refreshNotices);
  }, { signal: screenSignal() });
  return node;
}
