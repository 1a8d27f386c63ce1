// The case's photos, sound and video on the officer's case screen: what the server holds (its thumbnails and
// players, from the timeline the device also keeps for offline use) and what is still on this phone, unsent.
// Once the server has an item the phone may drop its copy (storage after acknowledgement); the server's is
// shown from then on, so nothing captured ever disappears from the screen.
import { entriesOf } from "./case_entries.js";
import { h } from "./dom.js";
import { isEn, t } from "./i18n.js";
import { mediaPreview } from "./forms/item_view.js";
import { player, serverPhoto } from "./media_view.js";

const SHOWN = ["media.photo", "media.audio", "media.video", "media.signature", "media.fingerprint"];

const when = (iso) => (iso ? new Date(iso).toLocaleString(isEn() ? "en-GB" : "zh-CN", { dateStyle: "short", timeStyle: "short" }) : "");

/** Words for one item: its kind, caption if any, and when (the alt text and the caption below). */
export function mediaWords(kind, payload, at) {
  return [t(`mediakind.${kind}`), payload?.caption, when(at)].filter(Boolean).join(" · ");
}

function serverFigure(e) {
  const p = e.payload || {};
  const words = mediaWords(e.kind, p, p.captured_at || e.received_at);
  const shown = e.kind === "media.audio" || e.kind === "media.video"
    ? player(p.sha256, p.media_type || (e.kind === "media.audio" ? "audio/" : "video/"), undefined, { poster: e.kind === "media.video", label: words })
    : serverPhoto(p.sha256, words);
  return h("figure", { class: "case-media-item", dataset: { kind: e.kind, sha: p.sha256, where: "server" } },
    shown, h("figcaption", { class: "muted" }, words));
}

/**
 * The section; `items` are this case's outbox items. It is returned at once and filled when the case's
 * timeline has been read, so the rest of the case screen (its buttons above all) never waits for it.
 */
export function caseMedia(caseId, items) {
  const section = h("section", { id: "case-media", "aria-labelledby": "case-media-title", "aria-busy": "true" },
    h("h2", { id: "case-media-title" }, t("case.media")),
    navigator.onLine ? null : h("p", { class: "muted" }, t("case.media_offline")));
  fill(section, caseId, items);
  return section;
}

async function fill(section, caseId, items) {
  const entries = (await entriesOf(caseId, SHOWN).catch(() => [])).filter((e) => e.payload?.sha256);
  const onServer = new Set(entries.map((e) => e.payload.sha256));
  // On the phone and not (yet) among the server's: captured offline, uploading, or refused.
  const local = items.filter((i) => i.type === "media" && SHOWN.includes(i.body?.kind) && !onServer.has(i.sha256));
  const figures = [
    ...local.map((i) => h("figure", { class: "case-media-item", dataset: { kind: i.body.kind, where: "device" } },
      mediaPreview(i), h("figcaption", { class: "muted" }, mediaWords(i.body.kind, i.body.payload, i.created_at)))),
    ...entries.reverse().map(serverFigure),
  ];
  section.append(figures.length ? h("div", { class: "case-media" }, figures) : h("p", { class: "muted" }, t("case.media_none")));
  section.removeAttribute("aria-busy");
}
