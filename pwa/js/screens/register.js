// First passkey for an invited staff member: the invitation token comes in the link.
import { h, toast } from "../dom.js";
import { t } from "../i18n.js";
import * as router from "../router.js";
import * as session from "../session.js";

export function render(_params, query) {
  const token = query.get("token") || query.get("invite") || "";
  const button = h("button", { class: "primary", id: "register", onclick: register }, t("register.passkey"));
  async function register() {
    button.disabled = true;
    try {
      const pk = await session.passkeys();
      await pk.register(token);
      await session.refresh();
      router.go("/");
    } catch (e) {
      toast(`${t("register.failed")}: ${e.message}`, "error");
    } finally {
      button.disabled = false;
    }
  }
  return h("section", {}, h("h1", {}, t("register.title")), h("p", {}, t("register.hint")), h("div", { class: "actions" }, button));
}
