// CaseTrail service worker: precaches the versioned app shell and serves it offline. GET only: uploads
// and API writes never pass through here (re-sent request bodies are unreliable), and neither do API reads
// (the app keeps its own copies in IndexedDB). Schemas and rule packs are cached as they are read.
// The server sets VERSION to a hash of every shell file and MANIFEST to their list: any change is an update.
const VERSION = "dev";
const SHELL = `casetrail-shell-${VERSION}`;
const DATA = "casetrail-data-v1";
// The shell's files, made by the server from the app's folders (backend/shell.py): the page at "/", code under
// "/v/<VERSION>/…" (immutable URLs), icons, strings. Served as it is here (no server), the worker caches nothing.
const MANIFEST = { files: [] };
const FILES = new Set(MANIFEST.files);
const CODE = `/v/${VERSION}/`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache.addAll(MANIFEST.files.map((u) => new Request(u, { cache: "reload" })));
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
      event.respondWith(caches.open(SHELL).then((c) => c.match("/")).then((r) => r || fetch(request)));
    }
    return;
  }
  if (isData(url)) return event.respondWith(staleWhileRevalidate(request));
  if (FILES.has(url.pathname)) return event.respondWith(fromShell(request));
  // A plain /js/… module stands for this version's copy, so an import of it shares the running app's module.
  if (url.pathname.startsWith("/js/") && FILES.has(`${CODE}${url.pathname.slice(1)}`)) {
    const body = `export * from "${CODE}${url.pathname.slice(1)}";\n`;
    event.respondWith(new Response(body, { headers: { "Content-Type": "text/javascript; charset=utf-8" } }));
  }
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
