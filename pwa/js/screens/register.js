// First passkey for an invited staff member: the invitation token comes in the link's fragment
// (`#invite=…`, moved here by main.js; `token=` is what links made before that carried).
import { json } from "../api.js";
import { h, toast } from "../dom.js";
import { t } from "../i18n.js";
import * as router from "../router.js";
import * as session from "../session.js";

const DEAD_LINK = new Set(["invite_cancelled", "invite_expired", "invite_used", "invite_not_found"]);

export function render(_params, query) {
  const token = query.get("invite") || query.get("token") || "";
  const button = h("button", { class: "primary", id: "register", onclick: register }, t("register.passkey"));
  const notice = h("p", { class: "card screen-error", id: "invite-refused", role: "alert", hidden: true });
  async function register() {
    button.disabled = true;
    try {
      const pk = await session.passkeys();
      await pk.register(token);
      await session.refresh();
      router.go("/");
    } catch (e) {
      // A dead link (cancelled, expired, used) is not a failure to retry: say what to do instead.
      if (DEAD_LINK.has(e.code)) {
        notice.textContent = t(`register.${e.code}`);
        notice.hidden = false;
        button.hidden = true;
        return;
      }
      if (e.status === 429) {
        toast(t("signin.throttled", { minutes: Math.max(1, Math.ceil((e.retryAfter || 60) / 60)) }), "error");
        return;
      }
      toast(`${t("register.failed")}: ${e.message}`, "error");
    } finally {
      button.disabled = false;
    }
  }
  const who = h("p", { id: "invite-for", hidden: true });
  // Who the link is for, said before the passkey is made (a demo link names the demo person); a dead link
  // says so at once instead of after a passkey prompt.
  json("/api/invite", { headers: { "x-invite-token": token } }).then(
    (info) => {
      who.textContent = t("register.for", { name: info.name });
      who.hidden = false;
    },
    (e) => {
      if (!DEAD_LINK.has(e.code)) return;
      notice.textContent = t(`register.${e.code}`);
      notice.hidden = false;
      button.hidden = true;
    },
  );
  return h("section", {}, h("h1", {}, t("register.title")), h("p", {}, t("register.hint")), who, notice, h("div", { class: "actions" }, button));
}
