// How the review screens write times, clock skew, statuses and links to an entry.
import { h } from "../../dom.js";
import { isEn, tOr } from "../../i18n.js";

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(isEn() ? "en-GB" : "zh-CN", { hour12: false });
}

/** Device time against server time: how far apart they were, in seconds.
 * Only where the claimed time is a device's clock stamp: an imported recorder file claims the time it
 * was recorded (hours before it reached the server, with no clock offset measured), which is no skew. */
export function skew(entry) {
  if (entry.kind.startsWith("recording.")) return null;
  const device = entry.claimed?.time ? new Date(entry.claimed.time).getTime() : null;
  if (device == null) return null;
  return Math.round((new Date(entry.received_at).getTime() - device) / 1000);
}

export function statusBadge(status) {
  const cls = { met: "ok", done: "ok", waived: "ok", missing: "bad", late: "bad", refused: "bad", overdue: "bad", pending: "warn", due: "warn" }[status] || "";
  return h("span", { class: `badge ${cls}` }, tOr(`review.status.${status}`, status));
}

export const entryLink = (caseId, hash) => `#/review/cases/${caseId}?entry=${hash}`;
export const short = (hash) => (hash ? `${hash.slice(0, 10)}…` : "");
