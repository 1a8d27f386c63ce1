// My passkeys: list them (phone, tablet ...), add another, revoke one, and sign out on every device.
import { ApiError } from "../api.js";
import { ask, h, toast } from "../dom.js";
import { isEn, t } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as router from "../router.js";
import * as session from "../session.js";

const when = (iso) => (iso ? new Date(iso).toLocaleString(isEn() ? "en-GB" : "zh-CN", { hour12: false }) : "—");

/** After a revocation or sign-out the server may have ended this device's session: find out and follow. */
async function stillSignedIn() {
  try {
    await session.refresh();
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      await session.forget();
      router.go("/signin");
      return false;
    }
    return true; // offline: nothing to conclude
  }
}

function keyCard(k, activeCount, reload) {
  // The API lets anyone revoke any own passkey, including the one in use; the last one is kept here so
  // nobody locks themselves out (an admin can still revoke it for them).
  const last = !k.revoked && activeCount <= 1;
  async function revoke() {
    const reason = await ask(t("passkeys.revoke_confirm", { label: k.label || k.credential_id.slice(0, 12) }), {
      label: t("passkeys.revoke_hint"), required: false, okText: t("passkeys.revoke"),
    });
    if (reason === null) return;
    try {
      const pk = await session.passkeys();
      await pk.revokePasskey(k.credential_id, reason);
      toast(t("passkeys.revoked_done"));
      if (await stillSignedIn()) reload();
    } catch (e) {
      toast(e.message, "error");
    }
  }
  return h("div", { class: "card passkey", dataset: { credentialId: k.credential_id, revoked: String(k.revoked) } },
    h("div", { class: "row" },
      h("b", { class: "grow" }, k.label || t("passkeys.unnamed")),
      k.revoked ? h("span", { class: "badge bad" }, t("passkeys.revoked")) : h("span", { class: "badge ok" }, t("passkeys.active"))),
    h("div", { class: "muted" }, `${t("passkeys.created")}: ${when(k.created_at)} · ${t("passkeys.last_used")}: ${when(k.last_used_at)}`),
    h("div", { class: "mono" }, k.credential_id),
    k.revoked ? null : h("div", { class: "row" },
      h("button", { class: "danger revoke-passkey", disabled: last, onclick: revoke }, t("passkeys.revoke")),
      last ? h("span", { class: "muted" }, t("passkeys.keep_last")) : null));
}

export async function render() {
  const list = h("div", { id: "passkey-list" });
  async function reload() {
    try {
      const pk = await session.passkeys();
      const keys = await pk.listPasskeys();
      const active = keys.filter((k) => !k.revoked).length;
      list.replaceChildren(...keys.map((k) => keyCard(k, active, reload)));
    } catch (e) {
      list.replaceChildren(h("p", { class: "card screen-error" }, e.message));
    }
  }
  const label = h("input", { id: "passkey-label", name: "label", placeholder: t("passkeys.label_hint"), autocomplete: "off" });
  const add = h("button", { class: "primary", id: "add-passkey", onclick: async () => {
    add.disabled = true;
    try {
      const pk = await session.passkeys();
      await pk.addPasskey(label.value.trim() || navigator.userAgent.slice(0, 100));
      label.value = "";
      toast(t("passkeys.added"));
      await reload();
    } catch (e) {
      toast(`${t("passkeys.add_failed")}: ${e.message}`, "error");
    } finally {
      add.disabled = false;
    }
  } }, t("passkeys.add"));
  const everywhere = h("button", { class: "danger", id: "signout-everywhere", onclick: async () => {
    // Ending this device's session too: anything not yet uploaded would wait for a sign-in.
    const n = (await outbox.unsent()).length;
    if (n) {
      toast(t("signout.refused", { n }), "error");
      return router.go("/outbox");
    }
    const ok = await ask(t("passkeys.everywhere_confirm"), { required: false, okText: t("passkeys.everywhere") });
    if (ok === null) return;
    try {
      const pk = await session.passkeys();
      await pk.signOutEverywhere();
    } catch (e) {
      return toast(e.message, "error");
    }
    await session.forget();
    router.go("/signin");
  } }, t("passkeys.everywhere"));
  await reload();
  return h("section", { class: "passkeys" },
    h("h1", {}, t("passkeys.title")),
    h("p", { class: "muted" }, t("passkeys.hint")),
    list,
    h("h2", {}, t("passkeys.add_title")),
    h("label", {}, t("passkeys.label"), label),
    h("div", { class: "row" }, add),
    h("h2", {}, t("passkeys.everywhere_title")),
    h("p", { class: "muted" }, t("passkeys.everywhere_hint")),
    h("div", { class: "row" }, everywhere));
}
