// In-app camera: live preview with the step's time and GPS over it, burned into the saved photo.
import { h } from "../dom.js";
import { explainBefore } from "../permissions.js";

/** Opens the rear camera in `container`; `overlay()` returns the lines to show and burn in. */
export async function openCamera(container, overlay) {
  await explainBefore(["camera"]);
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: "environment", width: { ideal: 1920 }, height: { ideal: 1080 } },
    audio: false,
  });
  const video = h("video", { autoplay: true, muted: true, playsinline: true });
  video.srcObject = stream;
  const text = h("div", { class: "overlay" });
  const tick = () => (text.textContent = overlay().join("\n"));
  tick();
  const timer = setInterval(tick, 1000);
  container.replaceChildren(h("div", { class: "camera" }, video, text));
  await video.play().catch(() => {});
  await new Promise((r) => (video.readyState >= 2 ? r() : video.addEventListener("loadeddata", r, { once: true })));

  return {
    /** A JPEG of the current frame with the overlay drawn in its lower-left corner. */
    async shoot() {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth || 640;
      canvas.height = video.videoHeight || 480;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const lines = overlay();
      const size = Math.max(14, Math.round(canvas.height / 28));
      ctx.font = `600 ${size}px ui-monospace, monospace`;
      ctx.fillStyle = "rgba(0,0,0,.45)";
      ctx.fillRect(0, canvas.height - (lines.length + 0.8) * size * 1.25, canvas.width, canvas.height);
      ctx.fillStyle = "#fff";
      lines.forEach((line, i) => ctx.fillText(line, size / 2, canvas.height - (lines.length - i - 0.3) * size * 1.25));
      return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
    },
    stop() {
      clearInterval(timer);
      stream.getTracks().forEach((tr) => tr.stop());
      container.replaceChildren();
    },
  };
}
