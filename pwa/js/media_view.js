// Photos, recordings and videos as the screens show them: a small thumbnail the server makes (its
// derivative endpoint, asked for only when scrolled near: lazy) that opens the full picture on a tap, and a
// player for sound and video (a video shows the server's poster frame until played). Shared by the officer's
// case and record screens and the review desk, so both ask the server the same way.
import { h } from "./dom.js";
import { t } from "./i18n.js";

// Recordings made by phones' MediaRecorder are WebM files without a duration in their header:
// a player shows 0:00 and cannot seek until it has read the whole file. Asking it to seek past
// the end makes it find the real end; then it goes back to the start, ready to replay.
export function knowDuration(el) {
  el.addEventListener("loadedmetadata", () => {
    if (Number.isFinite(el.duration)) return;
    const back = () => {
      if (!Number.isFinite(el.duration)) return;
      el.removeEventListener("durationchange", back);
      el.removeEventListener("timeupdate", back);
      el.currentTime = 0;
      el.dataset.duration = String(el.duration);
    };
    el.addEventListener("durationchange", back);
    el.addEventListener("timeupdate", back);
    el.currentTime = Number.MAX_SAFE_INTEGER;
  }, { once: true });
  el.addEventListener("durationchange", () => {
    if (Number.isFinite(el.duration)) el.dataset.duration = String(el.duration);
  });
  return el;
}

export const blobUrl = (sha, variant) => `/api/blobs/${sha}${variant ? `?variant=${variant}` : ""}`;

/** The full picture over the screen, closed by its button, Escape or Back (a dialog). */
export function viewPhoto(src, alt) {
  const close = h("button", { class: "primary", type: "button", onclick: () => dlg.close() }, t("media.close"));
  const dlg = h("dialog", { class: "photo-view", "aria-label": alt },
    h("img", { src, alt }), h("div", { class: "row" }, h("span", { class: "grow muted" }, alt), close));
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

/**
 * A tappable thumbnail: `thumb` is what the list shows (the server's thumbnail, or a photo still on this
 * device), `full` what a tap opens. `alt` says in words what it is (kind and time), never a file name.
 */
export function photo(thumb, full, alt, cls = "thumb") {
  return h("button", { type: "button", class: "photo-open", "aria-label": t("media.open", { what: alt }), onclick: () => viewPhoto(full, alt) },
    h("img", { class: cls, src: thumb, alt, loading: "lazy", decoding: "async" }));
}

/** A photo the server holds, by its SHA-256. */
export const serverPhoto = (sha, alt, cls) => photo(blobUrl(sha, "thumbnail"), blobUrl(sha), alt, cls);

/** A player for sound or video at `src` (the server's copy unless given); WebM from phones gets its duration. */
export function player(sha, type, src = blobUrl(sha), { poster = false, label = "" } = {}) {
  const audio = (type || "").startsWith("audio/");
  return knowDuration(h(audio ? "audio" : "video", {
    controls: true, preload: "metadata", src, dataset: { sha },
    poster: !audio && poster ? blobUrl(sha, "poster") : null, playsinline: audio ? null : true, "aria-label": label || null,
  }));
}
