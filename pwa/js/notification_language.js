// The language a signed-in staff member chose is also the language of their push notifications:
// the server writes each notification for its reader (PUT /api/notify/language).
import { json } from "./api.js";
import { current } from "./session.js";

export async function rememberLanguage(lang) {
  if (!current()) return; // signed out (the sign-in page): nothing to remember on the server yet
  try {
    await json("/api/notify/language", { method: "PUT", body: { language: lang === "en" ? "en" : "zh-CN" } });
  } catch {
    /* offline: the app still switches; notifications keep the earlier language until the next choice */
  }
}
