// Playing recordings on the review screens: audio or video players that know their duration.
import { h } from "../../dom.js";

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

/** A player for the blob `sha` (audio or video by its media type). */
export function player(sha, type, src = `/api/blobs/${sha}`) {
  return knowDuration(h((type || "").startsWith("audio/") ? "audio" : "video", { controls: true, preload: "metadata", src, dataset: { sha } }));
}

// Recorder imports are kept by their custody entry, not as media entries: the review API serves them.
// Recorder files are blobs of the cases (or agency timeline) holding them, served with Range like any media.
export const recordingSrc = (sha) => `/api/blobs/${sha}`;
