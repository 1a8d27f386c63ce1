// A tiny element builder so screens read as markup without a framework.
import { t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    // Through the CSSOM: a style attribute would be inline style, which the pages' CSP refuses.
    else if (k === "style") el.style.cssText = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 3500);
}

/** Say what went wrong: a full device in plain words, anything else with its message. */
export function showError(e) {
  toast(e?.message === "storage_full" ? t("storage.full") : `${t("error")}: ${e?.message || e}`, "error");
}

/** A modal asking for text; resolves with the text or null. */
export function ask(title, { label = "", required = true, okText = t("ok"), cancelText = t("cancel") } = {}) {
  return new Promise((resolve) => {
    const input = h("textarea", { rows: 3, "aria-label": label || title, name: "ask" });
    const ok = h("button", { class: "primary", type: "submit" }, okText);
    const dlg = h(
      "dialog",
      { class: "ask" },
      h(
        "form",
        { method: "dialog" },
        h("h2", {}, title),
        label && h("p", {}, label),
        input,
        h("div", { class: "row" },
          h("button", { type: "button", onclick: () => { dlg.close(); resolve(null); } }, cancelText),
          ok),
      ),
    );
    dlg.querySelector("form").addEventListener("submit", (e) => {
      if (required && !input.value.trim()) { e.preventDefault(); input.focus(); return; }
      resolve(input.value.trim());
      setTimeout(() => dlg.remove(), 0);
    });
    document.body.append(dlg);
    dlg.showModal();
    input.focus();
  });
}
