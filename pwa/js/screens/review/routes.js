// Supervisor screens (wide layout): registered with the app's router, loaded on demand.
import * as router from "../../router.js";

const here = "./";
router.route("/review", () => import(`${here}cases.js`));
router.route("/review/cases/:id", () => import(`${here}timeline.js`));
router.route("/review/approvals", () => import(`${here}approvals.js`));
router.route("/review/spot-checks", () => import(`${here}spotchecks.js`));
router.route("/review/statistics", () => import(`${here}statistics.js`));
router.route("/review/recordings", () => import(`${here}recordings.js`));
router.route("/review/retention", () => import(`${here}retention.js`));

// The wide-screen styles live beside the screens so the officer app's stylesheet stays as it is.
if (!document.querySelector("link[data-review]")) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("./review.css", import.meta.url).href;
  link.dataset.review = "1";
  document.head.append(link);
}
