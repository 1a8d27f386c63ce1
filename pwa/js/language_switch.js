// The language buttons (settings and the sign-in screen): a module of its own so the sign-in screen, the
// first screen of a first visit, does not load the whole settings screen.
import { h } from "./dom.js";
import * as i18n from "./i18n.js";

export function languageSwitch() {
  return h(
    "div",
    { class: "row", role: "group" },
    i18n.LANGS.map((lang) =>
      h("button", {
        class: lang === i18n.current() ? "primary" : "",
        dataset: { lang },
        "aria-pressed": String(lang === i18n.current()),
        onclick: async () => {
          // The server first (notifications follow the choice), then the screen: once the page reads in
          // the new language, the server already writes to this person in it.
          await (await import("./notification_language.js")).rememberLanguage(lang);
          await i18n.load(lang);
          location.reload();
        },
      }, lang === "en" ? "English" : "简体中文"),
    ),
  );
}
