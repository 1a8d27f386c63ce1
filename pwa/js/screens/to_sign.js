// What colleagues asked me to sign, on my own phone: each item opens the passkey prompt here.
import { json } from "../api.js";
import { h, toast } from "../dom.js";
import { t, titleOf } from "../i18n.js";
import * as cases from "../cases.js";
import * as passkeys from "../passkeys.js";

/** The list itself (also shown on the home screen); null when nothing waits or offline. */
export async function toSignList({ empty = false } = {}) {
  let rows;
  try {
    rows = await json("/api/signatures/to-sign");
  } catch {
    return null;
  }
  if (!rows.length) return empty ? h("p", { class: "muted", id: "to-sign-none" }, t("docs.tosign.none")) : null;
  const items = await Promise.all(rows.map(async (r) => {
    const what = titleOf(await cases.schema(r.signed_kind).catch(() => ({ title: "" }))) || t("docs.title");
    const button = h("button", { class: "primary", onclick: () => signIt(r, item, button) }, t("docs.tosign.sign"));
    const item = h("li", { class: "card to-sign-item", dataset: { signs: r.signs } },
      h("b", {}, r.case_title),
      h("div", {}, t("docs.tosign.item", { who: r.requested_by_name, meaning: t(`docs.tosign.meaning.${r.meaning}`), what })),
      h("div", { class: "row" }, h("a", { href: `#/cases/${encodeURIComponent(r.case_id)}` }, t("docs.tosign.open_case")), button));
    return item;
  }));
  return h("section", { id: "to-sign", class: "to-sign" }, h("h2", {}, t("docs.tosign.title")), h("ul", {}, items));
}

async function signIt(r, item, button) {
  button.disabled = true;
  try {
    await passkeys.signEntry(r.signs, r.meaning);
    item.classList.add("done");
    button.replaceWith(h("span", { class: "badge ok" }, t("docs.tosign.done")));
    toast(t("docs.tosign.done"));
  } catch (e) {
    button.disabled = false;
    toast(e.message, "error");
  }
}

export async function render() {
  return h("section", {}, h("h1", {}, t("docs.tosign.title")), (await toSignList({ empty: true })) || h("p", { class: "muted" }, t("docs.online_only")));
}
