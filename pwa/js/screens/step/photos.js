// Photos for a step: the in-app camera (the stamp burned in) and the phone's own camera (the original
// file with its EXIF, to be checked against the stamp).
import { openCamera } from "../../capture/camera.js";
import { h, showError, toast } from "../../dom.js";
import { t } from "../../i18n.js";
import { stampLines } from "./stamp_card.js";

/** The camera buttons, the camera's box and the file picker; each photo is queued at once. */
export function photoCapture(c, draft) {
  const camBox = h("div", { id: "camera-box" });
  let cam = null;
  const shoot = h("button", { class: "primary", id: "photo-shoot", hidden: true, onclick: async () => {
    try {
      const jpeg = await cam.shoot();
      await draft.queueMedia("media.photo", jpeg, { filename: `photo-${Date.now()}.jpg`, label: t("capture.photo"), payload: { caption: stampLines(c).join(" | ") } });
      toast(t("capture.saved"));
    } catch (e) { showError(e); }
  } }, t("capture.shoot"));
  const closeCam = h("button", { id: "photo-close", hidden: true, onclick: () => { cam?.stop(); cam = null; shoot.hidden = closeCam.hidden = true; } }, t("capture.close"));
  const openCam = h("button", { id: "photo-open", onclick: async () => {
    try {
      cam = await openCamera(camBox, () => stampLines(c));
      shoot.hidden = closeCam.hidden = false;
    } catch (e) { showError(e); }
  } }, t("capture.in_app"));
  const native = h("input", { type: "file", accept: "image/*", capture: "environment", id: "native-photo", multiple: true, onchange: async (e) => {
    for (const file of e.target.files) {
      try {
        // The original file, unchanged, so its EXIF can be checked against the stamp.
        await draft.queueMedia("media.photo", file, { filename: file.name, label: `${t("capture.native")} ${file.name}`, payload: {} });
      } catch (err) { showError(err); }
    }
    e.target.value = "";
    toast(t("capture.saved"));
  } });
  return [
    h("div", { class: "row" }, openCam, shoot, closeCam),
    camBox,
    h("label", { for: "native-photo" }, t("capture.native")),
    native,
  ];
}
