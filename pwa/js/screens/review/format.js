// How the review screens write times, clock skew, statuses and links to an entry.
import { h } from "../../dom.js";
import { isEn } from "../../i18n.js";

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
  const zh = { met: "符合", missing: "缺失", late: "逾期", waived: "已免除", not_applicable: "不适用", due: "未到期", refused: "不予批准", done: "已检查", pending: "待检查", overdue: "逾期未查" };
  const en = { not_applicable: "not applicable", due: "not yet due", overdue: "overdue" };
  return h("span", { class: `badge ${cls}` }, isEn() ? en[status] || status : zh[status] || status);
}

export const entryLink = (caseId, hash) => `#/review/cases/${caseId}?entry=${hash}`;
export const short = (hash) => (hash ? `${hash.slice(0, 10)}…` : "");
