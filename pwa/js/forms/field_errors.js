// Problems shown where they are: a sentence under each field (tied to it with aria-describedby), a
// short list at the top of the form, and the focus on the first field to fix. Editing a field clears its
// mark. Problems of fields the form does not show (filled by another widget) appear in the list only.
import { h } from "../dom.js";
import { t } from "../i18n.js";

/** The form field name for a payload path: ["parties", 0, "name"] -> "p.parties-0.name". */
export function nameOf(path) {
  return path.reduce((acc, key) => (typeof key === "number" ? `${acc}-${key}` : `${acc}.${key}`), "p");
}

function clear(form) {
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  }
  for (const el of form.querySelectorAll(".has-error")) el.classList.remove("has-error");
}

/** The element a problem at `name` belongs to: its own field, else the nearest enclosing one shown. */
function holderOf(form, name) {
  for (let n = name; n.length; n = n.replace(/[.-][^.-]*$/, "")) {
    const el = form.querySelector(`[data-path="${CSS.escape(n)}"]`);
    if (el) return el;
    if (!/[.-]/.test(n)) break;
  }
  return null;
}

export function showProblems(form, summary, problems) {
  clear(form);
  summary.hidden = !problems.length;
  summary.replaceChildren();
  if (!problems.length) return;
  let first = null;
  const listed = [];
  problems.forEach((p, i) => {
    const name = p.name || nameOf(p.path);
    const holder = holderOf(form, name);
    const exact = holder?.dataset.path === name;
    listed.push(h("li", {}, `「${p.label}」${p.message}`));
    if (!holder) return;
    const id = `err-${i}-${name}`.replace(/[^\w-]/g, "_");
    const control = holder.querySelector("input:not([type=hidden]), select, textarea, button") || holder;
    holder.classList.add("has-error");
    holder.append(h("p", { class: "field-error", id }, exact ? p.message : `「${p.label}」${p.message}`));
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
    // Fixing a field takes its mark away at once; the rest stay until the next check.
    holder.addEventListener("input", () => {
      holder.classList.remove("has-error");
      holder.querySelector(`#${id}`)?.remove();
      control.removeAttribute("aria-invalid");
    }, { once: true });
    first ||= control;
  });
  summary.append(h("p", {}, t("forms.errors_title", { n: problems.length })), h("ul", {}, listed));
  if (first) {
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "center" });
  } else summary.scrollIntoView({ block: "center" });
}
