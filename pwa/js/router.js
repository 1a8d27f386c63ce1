// A small hash router: each screen is one module with `render(params, query) -> Node` loaded on demand.
// Later screens (review, service, archive) register themselves with `route()`; nothing else changes.
const routes = [];
let outlet = null;
let guard = null;
let current = null;
// Aborted when the user leaves the screen: listeners and timers a screen sets on the outbox, the window or
// the document are given this signal, so a screen visited ten times does not answer ten times.
let shown = new AbortController();

/** The signal of the screen showing (or being drawn): aborted as soon as another navigation starts. */
export const screenSignal = () => shown.signal;

/** Run `fn` every `ms` while the current screen shows. */
export function everyWhileShown(fn, ms) {
  const signal = screenSignal();
  if (signal.aborted) return;
  const timer = setInterval(fn, ms);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}

/** `pattern` like "/cases/:id/steps/:step"; `load` returns the screen module (a dynamic import). */
export function route(pattern, load, { auth = true } = {}) {
  const names = [];
  const re = new RegExp(
    `^${pattern.replace(/:(\w+)/g, (_, n) => (names.push(n), "([^/]+)"))}$`,
  );
  routes.push({ re, names, load, auth });
}

export const go = (path) => {
  if (location.hash === `#${path}`) render();
  else location.hash = path;
};

export function path() {
  return (location.hash.slice(1) || "/").split("?")[0];
}

export function query() {
  return new URLSearchParams(location.hash.split("?")[1] || "");
}

export async function render() {
  // An invitation link carries its token in the fragment (`#invite=…`), which never reaches the
  // server; the register screen takes it from there. Replaced, not pushed: Back skips it. Also on
  // hashchange: a link opened in a tab already showing the app does not reload it.
  const invited = location.hash.match(/^#invite=([^&]+)$/);
  if (invited) history.replaceState(null, "", `#/register?invite=${invited[1]}`);
  const p = path();
  shown.abort();
  shown = new AbortController();
  for (const r of routes) {
    const m = p.match(r.re);
    if (!m) continue;
    if (r.auth && guard && !(await guard())) return go(`/signin?next=${encodeURIComponent(p)}`);
    const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    const token = (current = {});
    let node;
    try {
      const screen = await r.load();
      if (token !== current) return; // a newer navigation won
      current.screen = screen;
      node = await screen.render(params, query());
    } catch (e) {
      // A screen that cannot show (e.g. a form never loaded while online) says so instead of staying blank.
      console.error(e);
      node = document.createElement("p");
      node.className = "card screen-error";
      node.textContent = `${e.message || e}`;
    }
    if (token !== current) return;
    outlet.replaceChildren(node);
    outlet.focus({ preventScroll: true });
    scrollTo(0, 0);
    return;
  }
  go("/");
}

/** Start loading the screen the address names, without showing it (the module is then ready when shown). */
export function preload() {
  const p = path();
  const r = routes.find((x) => x.re.test(p));
  r?.load().catch(() => null);
}

/** Let the current screen refuse to be left (e.g. a recording running). */
export function leaving() {
  return current?.screen?.leave?.() ?? true;
}

export function start(el, authGuard) {
  outlet = el;
  guard = authGuard;
  addEventListener("hashchange", render);
  return render();
}
