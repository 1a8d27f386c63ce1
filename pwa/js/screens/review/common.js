// Small shared pieces of the supervisor screens: bilingual labels, times, badges, entry links.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { isEn } from "../../i18n.js";

export const L = (zh, en) => (isEn() ? en : zh);

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(isEn() ? "en-GB" : "zh-CN", { hour12: false });
}

/** Device time against server time: how far apart they were, in seconds. */
export function skew(entry) {
  const device = entry.claimed?.time ? new Date(entry.claimed.time).getTime() : null;
  if (device == null) return null;
  return Math.round((new Date(entry.received_at).getTime() - device) / 1000);
}

export function statusBadge(status) {
  const cls = { met: "ok", done: "ok", waived: "ok", missing: "bad", late: "bad", overdue: "bad", pending: "warn" }[status] || "";
  const zh = { met: "符合", missing: "缺失", late: "逾期", waived: "已免除", not_applicable: "不适用", done: "已检查", pending: "待检查", overdue: "逾期未查" };
  return h("span", { class: `badge ${cls}` }, isEn() ? status : zh[status] || status);
}

export const entryLink = (caseId, hash) => `#/review/cases/${caseId}?entry=${hash}`;
export const short = (hash) => (hash ? `${hash.slice(0, 10)}…` : "");

export function page(title, ...children) {
  return h("section", { class: "review" },
    h("nav", { class: "row" },
      h("a", { href: "#/review" }, L("案件", "Cases")),
      h("a", { href: "#/review/approvals" }, L("待审批", "Approvals")),
      h("a", { href: "#/review/spot-checks" }, L("抽查台帐", "Spot checks")),
      h("a", { href: "#/review/statistics" }, L("统计", "Statistics")),
      h("button", { class: "push-toggle", onclick: async (e) => {
        e.target.disabled = true;
        try {
          e.target.textContent = (await enablePush()) ? L("已开启通知", "Notifications on") : L("未开启通知", "Notifications off");
        } catch (err) {
          e.target.textContent = err.message;
        }
      } }, L("开启通知", "Turn on notifications"))),
    h("h1", {}, title),
    ...children);
}

/** Sign an entry with a passkey (challenge = its hash) through whichever ceremony module is loaded. */
export async function signWithPasskey(caseId, entryHash, meaning) {
  const { passkeys } = await import("../../session.js");
  const pk = await passkeys();
  // identity's passkeys.js takes (hash, meaning, opts); the shell's webauthn.js (caseId, hash, {meaning}).
  if (pk.caseSignatures) return pk.signEntry(entryHash, meaning, { clientId: crypto.randomUUID() });
  return pk.signEntry(caseId, entryHash, { meaning });
}

// Web Push on this device: subscribe with the server's VAPID key after sign-in, or stop.
const b64urlToBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));

export const pushSupported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

/** Ask permission, subscribe and hand the subscription to the server; returns true when subscribed. */
export async function enablePush() {
  if (!pushSupported()) return false;
  if ((await Notification.requestPermission()) !== "granted") return false;
  const registration = await navigator.serviceWorker.ready;
  const { key } = await json("/api/notify/vapid-key");
  const subscription = (await registration.pushManager.getSubscription())
    || (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlToBytes(key) }));
  const { endpoint, keys } = subscription.toJSON();
  await json("/api/notify/subscriptions", { method: "POST", body: { endpoint, keys } });
  return true;
}

export async function disablePush() {
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.getSubscription();
  if (!subscription) return;
  await json("/api/notify/subscriptions/remove", { method: "POST", body: { endpoint: subscription.endpoint } });
  await subscription.unsubscribe();
}
