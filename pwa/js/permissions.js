// Location, camera and microphone are asked for only when they are needed, and only after the officer has been
// told why (the Personal Information Protection Law wants the purpose said before personal data is collected).
// Nothing is asked before sign-in; a "no" never blocks a record (it is made without a place, or in writing).
import { h } from "./dom.js";
import { t } from "./i18n.js";
import * as stamps from "./stamps.js";

let offered = false;

/** "granted", "denied" or "prompt"; browsers without the Permissions API count as "prompt". */
export async function permissionState(name) {
  try {
    return (await navigator.permissions.query({ name })).state;
  } catch {
    return "prompt";
  }
}

function explanation(id, title, lines, buttons) {
  return h(
    "div",
    { id, class: "card permission-explained", role: "dialog", "aria-labelledby": `${id}-title` },
    h("b", { id: `${id}-title` }, title),
    lines.map((line) => h("p", {}, line)),
    h("div", { class: "row" }, buttons),
  );
}

// Above the screen, not in it: a screen drawn meanwhile must not wipe the explanation away.
function place(card) {
  const screen = document.getElementById("screen");
  if (screen) screen.before(card);
  else document.body.prepend(card);
}

/** For a signed-in officer: locate at once if already allowed, else explain once and ask only on "开启位置". */
export async function offerLocation() {
  if (stamps.locating() || offered) return;
  const state = await permissionState("geolocation");
  if (state === "granted") return stamps.startLocation();
  if (state === "denied") return;
  offered = true;
  const card = explanation("perm-location", t("shell.perm_title"), [t("shell.perm_location"), t("shell.perm_media")], [
    h("button", { class: "primary", id: "perm-allow", onclick: () => (card.remove(), stamps.startLocation()) }, t("shell.perm_allow")),
    h("button", { id: "perm-later", onclick: () => card.remove() }, t("shell.perm_later")),
  ]);
  place(card);
}

/** Before the browser first asks for the camera or microphone: say what for; resolves when the officer goes on. */
export async function explainBefore(names) {
  const states = await Promise.all(names.map(permissionState));
  if (states.every((s) => s !== "prompt")) return;
  const why = names.includes("microphone") ? t("shell.mic_why") : t("shell.camera_why");
  await new Promise((resolve) => {
    const card = explanation("perm-media", t("shell.media_title"), [why], [
      h("button", { class: "primary", id: "perm-media-continue", onclick: () => (card.remove(), resolve()) }, t("shell.perm_continue")),
    ]);
    place(card);
    card.querySelector("button").focus();
  });
}
