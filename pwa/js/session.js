// Who is signed in on this device. Passkey ceremonies come from the identity module (passkeys.js);
// the last known staff member is kept on the device so the app opens offline.
import { ApiError, json, setCsrf } from "./api.js";
import { kvGet, kvSet } from "./db.js";

let me = null;
let passkeysModule = null;

/** The identity module's passkey ceremonies (loaded on demand: most screens never need them). */
export async function passkeys() {
  passkeysModule ||= await import("./passkeys.js");
  return passkeysModule;
}

export const current = () => me;

/**
 * The signed-in staff member. On a device that knows who signed in last, the app opens at once with that
 * (a poor network must not keep the officer waiting) and the server is asked in the background; only a
 * first start waits for the answer.
 */
export async function restore() {
  me = await kvGet("me");
  if (me?.csrf_cookie) setCsrf(me.csrf_cookie, me.csrf_header);
  const checking = refresh().catch(async (e) => {
    if (e instanceof ApiError && e.status === 401) {
      const known = Boolean(me);
      await forget();
      if (known) location.hash = "#/signin";
    }
    // Offline or server trouble: keep the remembered staff member.
  });
  if (!me) await checking;
  return me;
}

export async function refresh() {
  const pk = await passkeys();
  const who = pk.whoami ? await pk.whoami() : await json("/api/me");
  me = who || null;
  if (me?.csrf_cookie) setCsrf(me.csrf_cookie, me.csrf_header);
  await kvSet("me", me);
  return me;
}

export async function signIn() {
  const pk = await passkeys();
  await pk.signIn();
  return refresh();
}

// Any API call answered 401 means this device's session is over.
addEventListener("casetrail:unauthorized", async () => {
  if (!me) return;
  await forget();
  if (!/^#\/(signin|register)/.test(location.hash)) location.hash = "#/signin";
});

export async function forget() {
  me = null;
  await kvSet("me", null);
}

export async function signOut() {
  const pk = await passkeys();
  await pk.signOut();
  await forget();
}
