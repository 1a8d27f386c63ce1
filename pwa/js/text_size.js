// Text size: the system's font size is honoured (all sizes are rem), and the officer may choose larger
// text on top of it — 长辈版 (GB/T 37668's large-text mode) is the largest. Kept per device.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const KEY = "casetrail.text_size";
export const SIZES = ["normal", "large", "elder"];

export function apply(size = localStorage.getItem(KEY) || "normal") {
  document.documentElement.dataset.textSize = SIZES.includes(size) ? size : "normal";
}

/** The setting: three choices, the current one pressed. */
export function textSizeSetting() {
  const now = () => document.documentElement.dataset.textSize || "normal";
  const buttons = SIZES.map((size) => h("button", { type: "button", dataset: { textSize: size }, "aria-pressed": String(size === now()),
    onclick: () => {
      localStorage.setItem(KEY, size);
      apply(size);
      for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.textSize === size));
    } }, t(`forms.text_size.${size}`)));
  return h("div", { class: "row text-size", role: "group", "aria-label": t("forms.text_size") }, buttons);
}

apply();
