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
