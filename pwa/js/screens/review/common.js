// Small shared pieces of the supervisor screens: bilingual labels, times, badges, entry links.
import { json } from "../../api.js";
import { h } from "../../dom.js";
import { isEn, t, titleOf } from "../../i18n.js";

export const L = (zh, en) => (isEn() ? en : zh);

// -- names for ids: supervisors read people, stages and record titles, not identifiers --------

let directoryLoad = null;
/** The agency's staff names and units (GET /api/staff/names), fetched once per page load. */
export function directory() {
  directoryLoad ||= json("/api/staff/names")
    .then((d) => ({ byId: new Map(d.staff.map((s) => [s.staff_id, s])), units: d.units }))
    .catch(() => { directoryLoad = null; return { byId: new Map(), units: [] }; });
  return directoryLoad;
}

/** A person's name for a staff id (or a party marker); never the raw `s-…` id when the name is known. */
export function who(dir, id) {
  if (!id) return "—";
  if (id.startsWith("party:")) return L("当事人", "Party");
  const s = dir?.byId.get(id);
  if (!s) return L("（未知人员）", "(unknown person)");
  // Staff invited without a name carry their id as name: say so rather than show the id.
  return s.name && s.name !== id ? s.name : L("（未登记姓名）", "(no name on file)");
}

/** A staff member's name with their unit, for lists where the unit matters. */
export const whoWithUnit = (dir, id) => {
  const s = dir?.byId.get(id);
  return s?.unit ? `${who(dir, id)}（${s.unit}）` : who(dir, id);
};

/** A translated name, or the raw value when no string exists for it (t() answers the key then). */
const named = (prefix, value) => {
  if (!value) return "—";
  const s = t(`${prefix}.${value}`);
  return s === `${prefix}.${value}` ? value : s;
};
export const stageName = (stage) => named("stage", stage);
export const enforcementKindName = (kind) => named("kind", kind);

const titles = new Map();
let versions = null;
/** Load the titles of these entry kinds from their schemas (each schema carries title / x-title-en). */
export async function loadKindTitles(kinds) {
  versions ||= await json("/api/kinds").catch(() => ({}));
  await Promise.all([...new Set(kinds)].filter((k) => k && !titles.has(k)).map(async (k) => {
    try {
      const res = await fetch(`/shared/schemas/kinds/${k}.v${versions[k] || 1}.json`);
      if (res.ok) titles.set(k, await res.json());
    } catch { /* offline or unknown kind: the fallback below names it */ }
  }));
}

/** An entry kind's title in the current language; English schema texts can be long, keep the first clause. */
export function kindName(kind) {
  const schema = titles.get(kind);
  if (!schema) return kind;
  const title = titleOf(schema);
  return isEn() ? title.split(/[:(]/)[0].trim() : title;
}

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

// The review tabs, in the order a supervisor's day runs. On a phone they are one strip that
// scrolls sideways (never wrapping into a second row); the current tab is marked and scrolled into view.
const TABS = [
  ["#/review", "案件", "Cases", /^#\/review(\/cases\/.*)?(\?.*)?$/],
  ["#/review/approvals", "待审批", "Approvals", /^#\/review\/approvals/],
  ["#/review/spot-checks", "抽查台帐", "Spot checks", /^#\/review\/spot-checks/],
  ["#/review/recordings", "未关联录像", "Unassigned recordings", /^#\/review\/recordings/],
  ["#/review/retention", "保存与销毁", "Retention", /^#\/review\/retention/],
  ["#/review/statistics", "统计", "Statistics", /^#\/review\/statistics/],
];

function tabs() {
  const here = location.hash || "#/review";
  const strip = h("nav", { class: "row review-tabs", "aria-label": L("审查功能", "Review") },
    TABS.map(([href, zh, en, match]) => h("a", { href, "aria-current": match.test(here) ? "page" : null }, L(zh, en))),
    h("button", { class: "push-toggle", onclick: async (e) => {
      e.target.disabled = true;
      try {
        e.target.textContent = (await enablePush()) ? L("已开启通知", "Notifications on") : L("未开启通知", "Notifications off");
      } catch (err) {
        e.target.textContent = err.message;
      }
    } }, L("开启通知", "Turn on notifications")));
  requestAnimationFrame(() => strip.querySelector("[aria-current]")?.scrollIntoView({ block: "nearest", inline: "center" }));
  return strip;
}

/** Each data cell names its column, so a table reads as a stack of cards on a phone (review.css). */
export function labelCells(root) {
  for (const table of root.querySelectorAll("table:not(.custody)")) {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    table.classList.add("cards");
    for (const row of table.querySelectorAll("tbody tr, tfoot tr")) {
      [...row.children].forEach((cell, i) => { if (heads[i] && !cell.dataset.label) cell.dataset.label = heads[i]; });
    }
  }
  return root;
}

export function page(title, ...children) {
  return labelCells(h("section", { class: "review" }, tabs(), h("h1", {}, title), ...children));
}

/** Sign an entry with a passkey (challenge = its hash) through whichever ceremony module is loaded. */
export async function signWithPasskey(caseId, entryHash, meaning, comment) {
  const { passkeys } = await import("../../session.js");
  const pk = await passkeys();
  // identity's passkeys.js takes (hash, meaning, opts); the shell's webauthn.js (caseId, hash, {meaning}).
  if (pk.caseSignatures) return pk.signEntry(entryHash, meaning, { clientId: crypto.randomUUID(), comment });
  return pk.signEntry(caseId, entryHash, { meaning, comment });
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
