// Web Push on this device: subscribe with the server's VAPID key after sign-in, or stop. Used by the
// settings switch and the review screens' button.
import { json } from "./api.js";

const b64urlToBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));

export const pushSupported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

/** Whether this device is subscribed now (never waits for a service worker that is not there yet). */
export async function subscribed() {
  if (!pushSupported() || Notification.permission !== "granted") return false;
  const reg = await navigator.serviceWorker.getRegistration();
  return Boolean(reg && (await reg.pushManager.getSubscription()));
}

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
