// Calls to the CaseTrail API: JSON in and out, the session cookie, the CSRF header, typed errors.
export class ApiError extends Error {
  constructor(status, body, retryAfter = 0) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || `http_${status}`;
    this.detail = body?.detail;
    // Seconds the server asked us to wait (a 429's Retry-After); 0 when it did not say.
    this.retryAfter = retryAfter;
  }
  /**
   * Worth retrying later (network, server busy, an upload another request is still sending to or
   * that moved on meanwhile: the next try asks where it stands) rather than a refusal of the item.
   */
  get transient() {
    return [0, 408, 423, 429].includes(this.status) || this.status >= 500 || this.code === "offset_mismatch";
  }
}

// Litestar's CSRF defaults; the identity module may name others via setCsrf().
let csrf = { cookie: "csrftoken", header: "x-csrftoken" };
export function setCsrf(cookie, header) {
  csrf = { cookie, header };
}

function cookie(name) {
  const m = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
  return m ? decodeURIComponent(m[1]) : null;
}

export function csrfHeaders() {
  const token = cookie(csrf.cookie);
  return token ? { [csrf.header]: token } : {};
}

/** fetch with credentials and CSRF; network failures become ApiError(0). */
export async function raw(path, { method = "GET", headers = {}, body, signal } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      body,
      signal,
      credentials: "same-origin",
      cache: "no-store",
      headers: { ...(method === "GET" || method === "HEAD" ? {} : csrfHeaders()), ...headers },
    });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, { code: "offline", message: e.message });
  }
  return res;
}

export async function json(path, { method = "GET", body, signal, headers = {} } = {}) {
  const res = await raw(path, {
    method,
    signal,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text.slice(0, 200) };
  }
  if (!res.ok) {
    // A session ended elsewhere (signed out everywhere, deactivated, expired): let the app go to
    // sign-in. Queued captures stay in the outbox until someone signs in again.
    if (res.status === 401) dispatchEvent(new CustomEvent("casetrail:unauthorized"));
    throw new ApiError(res.status, data, Number(res.headers.get("retry-after")) || 0);
  }
  return data;
}
