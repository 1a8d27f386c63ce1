// Sign in with a passkey (the identity module runs the ceremony).
import { h, toast } from "../dom.js";
import { t } from "../i18n.js";
import * as router from "../router.js";
import * as session from "../session.js";
import { languageSwitch } from "../language_switch.js";

export function render(_params, query) {
  const button = h("button", { class: "primary", id: "signin", onclick: signIn }, t("signin.passkey"));
  async function signIn() {
    button.disabled = true;
    try {
      await session.signIn();
      (await import("../outbox.js")).kick(); // anything that waited for a session goes now
      router.go(query.get("next") || "/");
    } catch (e) {
      if (e.status === 429) {
        // Too many attempts from this address: say when to try again, in plain words.
        const minutes = Math.max(1, Math.ceil((e.retryAfter || 60) / 60));
        toast(t("signin.throttled", { minutes }), "error");
      } else {
        toast(`${t("signin.failed")}: ${e.message}`, "error");
      }
    } finally {
      button.disabled = false;
    }
  }
  return h(
    "section",
    { class: "signin" },
    h("h1", {}, t("signin.title")),
    h("p", {}, t("signin.hint")),
    h("div", { class: "actions" }, button),
    h("h2", {}, t("settings.language")),
    languageSwitch(),
  );
}
