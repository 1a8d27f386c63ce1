// Press and hold to confirm: a bar fills for as long as the finger stays down; a short press does nothing.
import { h } from "../dom.js";

const HOLD_MS = 1500;

/** A button that calls `onDone(heldMs)` once held for HOLD_MS. */
export function holdButton(label, onDone) {
  const fill = h("span", { class: "fill" });
  const btn = h("button", { type: "button", class: "hold", id: "fp-hold" }, fill, h("span", {}, label));
  let start = 0;
  let raf = 0;
  const tick = () => {
    const p = Math.min(1, (performance.now() - start) / HOLD_MS);
    fill.style.width = `${p * 100}%`;
    if (p >= 1) {
      const held = Math.round(performance.now() - start);
      start = 0;
      onDone(held);
      return;
    }
    raf = requestAnimationFrame(tick);
  };
  btn.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    start = performance.now();
    raf = requestAnimationFrame(tick);
  });
  const cancel = () => {
    cancelAnimationFrame(raf);
    start = 0;
    fill.style.width = "0";
  };
  btn.addEventListener("pointerup", cancel);
  btn.addEventListener("pointerleave", cancel);
  btn.addEventListener("pointercancel", cancel);
  return btn;
}
