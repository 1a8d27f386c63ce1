// Settings: language, this device's identity and clock, storage, sign-out (refused while anything is unsent).
import { h, toast } from "../dom.js";
import * as i18n from "../i18n.js";
import { languageSwitch } from "../language_switch.js";
import { notificationToggle } from "../notifications.js";
import * as outbox from "../outbox.js";
import { roleLink } from "../role_tabs.js";
import * as router from "../router.js";
import * as session from "../session.js";
import { verifyDetails } from "../forms/plain.js";
import * as stamps from "../stamps.js";
import { storageMeter } from "../storage_meter.js";
import { textSizeSetting } from "../text_size.js";
import { version } from "../update.js";

const { t } = i18n;

export async function render() {
  const me = session.current();
  const signOut = async () => {
    const n = (await outbox.unsent()).length;
    if (n) {
      toast(t("signout.refused", { n }), "error");
      router.go("/outbox");
      return;
    }
    try {
      await session.signOut();
    } catch (e) {
      toast(e.message, "error");
      return;
    }
    router.go("/signin");
  };
  return h(
    "section",
    {},
    h("h1", {}, t("nav.settings")),
    h("h2", {}, t("settings.language")),
    languageSwitch(),
    h("h2", {}, t("forms.text_size")),
    textSizeSetting(),
    h("h2", {}, t("settings.device")),
    h("div", { class: "card" },
      // Identifiers and the clock offset are for support and verification, not for everyday reading.
      verifyDetails([
        h("div", {}, `${t("settings.device_id")}: `, h("span", { class: "mono", id: "device-id" }, stamps.device())),
        [t("settings.clock_offset"), `${stamps.clockOffset() ?? "—"} ms`],
        h("div", {}, `${t("settings.app_version")}: `, h("span", { class: "mono", id: "app-version" }, (await version()) || "—")),
      ]),
    ),
    await storageMeter(),
    // Back from a shift at a computer: the recorder's files go in from here as well as from home.
    roleLink("import", { class: "card link", id: "settings-import" }),
    me ? h("p", {}, t("home.hello", { name: me.name || me.staff_id })) : null,
    // Account: passkeys (sign out everywhere lives there) and this device's notifications.
    me ? h("h2", {}, t("passkeys.title")) : null,
    me ? h("div", { class: "card" }, h("a", { href: "#/passkeys", id: "my-passkeys" }, t("passkeys.manage")), notificationToggle()) : null,
    h("div", { class: "actions" }, h("button", { class: "danger", id: "signout", onclick: signOut }, t("settings.signout"))),
  );
}
