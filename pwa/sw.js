// CaseTrail service worker: precaches the versioned app shell and serves it offline. GET only: uploads
// and API writes never pass through here (re-sent request bodies are unreliable), and neither do API reads
// (the app keeps its own copies in IndexedDB). Schemas and rule packs are cached as they are read.
// The server replaces this with a hash of every file listed below (backend/shell.py): any change is an update.
const VERSION = "dev";
const SHELL = `casetrail-shell-${VERSION}`;
const DATA = "casetrail-data-v1";
const SHELL_FILES = [
  "/",
  "/index.html",
  "/manifest.webmanifest",
  "/css/app.css",
  "/css/splash.css",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/maskable-512.png",
  "/js/api.js",
  "/js/capture/camera.js",
  "/js/capture/recorder.js",
  "/js/capture/signature_pad.js",
  "/js/case_entries.js",
  "/js/cases.js",
  "/js/db.js",
  "/js/dom.js",
  "/js/findings.js",
  "/js/hash.js",
  "/js/i18n.js",
  "/js/main.js",
  "/js/notification_language.js",
  "/js/notifications.js",
  "/js/outbox.js",
  "/js/passkeys.js",
  "/js/role_tabs.js",
  "/js/router.js",
  "/js/schema_form.js",
  "/js/screens/admin.js",
  "/js/screens/case.js",
  "/js/screens/case_new.js",
  "/js/screens/home.js",
  "/js/screens/import.js",
  "/js/screens/import.css",
  "/js/screens/outbox.js",
  "/js/screens/passkeys.js",
  "/js/screens/register.js",
  "/js/screens/service.js",
  "/js/screens/settings.js",
  "/js/screens/signin.js",
  "/js/screens/step.js",
  "/js/session.js",
  "/js/stamps.js",
  "/js/statusbar.js",
  "/js/tus.js",
  "/js/update.js",
  "/shared/strings/ui.zh-CN.json",
  "/shared/strings/ui.en.json",
  "/shared/schemas/form-hints.json",
];
// Cached when present: screens other domains are still adding.
const OPTIONAL_FILES = [
  "/js/screens/review/routes.js",
  "/js/screens/review/common.js",
  "/js/screens/review/cases.js",
  "/js/screens/review/timeline.js",
  "/js/screens/review/case_map.js",
  "/js/screens/review/media_duration.js",
  "/js/screens/review/approvals.js",
  "/js/screens/review/spotchecks.js",
  "/js/screens/review/statistics.js",
  "/js/screens/review/recordings.js",
  "/js/screens/review/retention.js",
  "/js/screens/review/review.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache.addAll(SHELL_FILES.map((u) => new Request(u, { cache: "reload" })));
      await Promise.all(OPTIONAL_FILES.map((u) => cache.add(new Request(u, { cache: "reload" })).catch(() => {})));
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("casetrail-shell-") && name !== SHELL) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data?.type === "VERSION") event.ports[0]?.postMessage({ version: VERSION });
});

const isData = (url) =>
  url.pathname.startsWith("/shared/schemas/") || url.pathname.startsWith("/shared/rules/") || url.pathname === "/api/kinds";

async function fromShell(request) {
  const cache = await caches.open(SHELL);
  return (await cache.match(request, { ignoreSearch: true })) || fetch(request);
}

async function staleWhileRevalidate(request) {
  const cache = await caches.open(DATA);
  const cached = await cache.match(request);
  const network = fetch(request)
    .then((res) => (res.ok && cache.put(request, res.clone()), res))
    .catch(() => cached || Response.error());
  return cached || network;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname === "/" || url.pathname === "/index.html") {
      event.respondWith(caches.open(SHELL).then((c) => c.match("/index.html")).then((r) => r || fetch(request)));
    }
    return;
  }
  if (isData(url)) return event.respondWith(staleWhileRevalidate(request));
  if (SHELL_FILES.includes(url.pathname) || OPTIONAL_FILES.includes(url.pathname)) event.respondWith(fromShell(request));
});

// Background Sync: wake the open app's outbox (it owns the queue and its IndexedDB state).
self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((all) => all.forEach((c) => c.postMessage({ type: "sync" }))),
  );
});

// Web Push: the payload is {title, body, url, tag?} (backend/notify/sending.py Message); url is an app route
// like "#/review/approvals?entry=...". A click brings an open window of the app to that route, else opens one.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "CaseTrail", {
      body: data.body || "",
      tag: data.tag,
      icon: "/icons/icon-192.png",
      data: { url: data.url || "#/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data?.url || "#/";
  const target = new URL(url.startsWith("#") ? `/${url}` : url, self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((c) => new URL(c.url).origin === self.location.origin);
      if (!open) return self.clients.openWindow(target);
      const focused = await open.focus();
      // navigate() refuses a window this worker does not control; that window stays focused where it was.
      return (focused || open).navigate(target).catch(() => null);
    })(),
  );
});
