// Supervisor screens (wide layout): registered with the app's router, loaded on demand.
import * as router from "../../router.js";

const here = "./";
// The wide-screen styles live beside the screens so the officer app's stylesheet stays as it is; they are
// added when a review screen is first opened (not at start, where they would queue before the first screen).
const screen = (name) => () => (addStyles(), import(`${here}${name}.js`));
router.route("/review", screen("cases"));
router.route("/review/cases/:id", screen("timeline"));
router.route("/review/approvals", screen("approvals"));
router.route("/review/spot-checks", screen("spotchecks"));
router.route("/review/statistics", screen("statistics"));
router.route("/review/recordings", screen("recordings"));
router.route("/review/retention", screen("retention"));

function addStyles() {
  if (document.querySelector("link[data-review]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("./review.css", import.meta.url).href;
  link.dataset.review = "1";
  document.head.append(link);
}
