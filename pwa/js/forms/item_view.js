// What an officer sees of one captured or queued item: a thumbnail (or a player) of its media, its upload
// progress from the outbox's progress events, and why it waits. Shared by the case, step and outbox screens.
import * as db from "../db.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { blobUrl, photo, player, serverPhoto } from "../media_view.js";
import * as outbox from "../outbox.js";
import { screenSignal } from "../router.js";

const urls = new Map();

async function localUrl(item) {
  if (urls.has(item.blob_id)) return urls.get(item.blob_id);
  const blob = item.blob_id ? await db.get("blobs", item.blob_id).catch(() => null) : null;
  const url = blob?.data ? URL.createObjectURL(blob.data) : null;
  if (url) urls.set(item.blob_id, url);
  return url;
}

/** A thumbnail for photos, signatures and fingerprints (a tap shows it whole); a player for audio and video. */
export function mediaPreview(item) {
  if (item.type !== "media") return null;
  const kind = item.body?.kind || "";
  const box = h("span", { class: "media-preview", dataset: { kind } });
  (async () => {
    const local = await localUrl(item);
    // Once on the server (and perhaps removed from the device) the server's own copy is shown.
    const remote = item.state === "sent" && item.sha256 ? blobUrl(item.sha256) : null;
    const src = local || remote;
    if (!src) return;
    const words = t(`mediakind.${kind}`);
    if (kind === "media.audio" || kind === "media.video") {
      box.append(player(item.sha256, kind === "media.audio" ? "audio/" : "video/", src, { poster: !local && kind === "media.video", label: words }));
    } else if (kind !== "media.document") {
      box.append(local ? photo(local, local, words) : serverPhoto(item.sha256, words));
    }
  })();
  return box;
}

/** A progress bar that follows the outbox's progress events for this item while it uploads. */
export function itemProgress(item) {
  if (item.type !== "media" || item.state === "sent" || item.state === "rejected") return null;
  const bar = h("progress", { class: "upload-progress", max: item.size || 1, value: 0, dataset: { id: item.id }, "aria-label": t("forms.progress", { pct: 0 }) });
  const on = (e) => {
    if (!bar.isConnected && bar.dataset.seen) return outbox.events.removeEventListener("progress", on);
    bar.dataset.seen = "1";
    if (e.detail.id !== item.id) return;
    bar.max = e.detail.size || 1;
    bar.value = e.detail.sent;
    bar.setAttribute("aria-label", t("forms.progress", { pct: Math.round((100 * e.detail.sent) / (e.detail.size || 1)) }));
  };
  outbox.events.addEventListener("progress", on, { signal: screenSignal() });
  return bar;
}

/** Why a queued item is not moving: it waits for its case, which the server refused. */
export function waitsForRefusedCase(item, all) {
  return item.type !== "case" && item.state === "queued"
    && all.some((o) => o.type === "case" && o.case_id === item.case_id && o.state === "rejected");
}
