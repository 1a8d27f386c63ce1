// Passkeys in the browser (WebAuthn): register from an invitation, sign in, sign an entry hash.
// Plain ES module; the server (backend/identity) runs py_webauthn and keeps sessions and challenges.
import { json, setCsrf } from "./api.js";

setCsrf("csrftoken", "x-csrftoken");

const b64u = {
  decode(text) {
    const s = text.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(s + "===".slice((s.length + 3) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    const bytes = new Uint8Array(buf);
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

function creationOptions(o) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(o);
  return {
    ...o,
    challenge: b64u.decode(o.challenge),
    user: { ...o.user, id: b64u.decode(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: b64u.decode(c.id) })),
  };
}

function requestOptions(o) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(o);
  return {
    ...o,
    challenge: b64u.decode(o.challenge),
    allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: b64u.decode(c.id) })),
  };
}

function credentialJSON(cred) {
  if (cred.toJSON) return cred.toJSON();
  const r = cred.response;
  const response = { clientDataJSON: b64u.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64u.encode(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = b64u.encode(r.authenticatorData);
    response.signature = b64u.encode(r.signature);
    response.userHandle = r.userHandle ? b64u.encode(r.userHandle) : null;
  }
  return { id: cred.id, rawId: b64u.encode(cred.rawId), type: cred.type, response, clientExtensionResults: {} };
}

async function create(options) {
  const cred = await navigator.credentials.create({ publicKey: creationOptions(options) });
  return credentialJSON(cred);
}

async function get(options) {
  const cred = await navigator.credentials.get({ publicKey: requestOptions(options) });
  return credentialJSON(cred);
}

export const supported = () => typeof window !== "undefined" && !!window.PublicKeyCredential;

/** Register the first passkey from an invitation token; signs the new staff member in. */
export async function register(token, label = navigator.userAgent.slice(0, 100)) {
  // In a header, as the party page sends its token: a URL would carry it into the access log.
  const headers = { "x-invite-token": token };
  const info = await json("/api/invite", { headers });
  const credential = await create(info.options);
  return json("/api/invite/passkey", { method: "POST", body: { credential, label }, headers });
}

/** Add one more passkey (e.g. the tablet) for the signed-in staff member. */
export async function addPasskey(label = navigator.userAgent.slice(0, 100)) {
  const options = await json("/api/passkeys/options", { method: "POST" });
  const credential = await create(options);
  return json("/api/passkeys", { method: "POST", body: { credential, label } });
}

export const listPasskeys = () => json("/api/passkeys");

export const revokePasskey = (credentialId, reason = "") =>
  json(`/api/passkeys/${encodeURIComponent(credentialId)}/revoke`, { method: "POST", body: { reason } });

/** Sign in with any passkey of this device (user verification: fingerprint or face). */
export async function signIn() {
  const options = await json("/api/session/options", { method: "POST" });
  const credential = await get(options);
  return json("/api/session", { method: "POST", body: { credential } });
}

export const whoami = () => json("/api/me");

export const signOut = () => json("/api/session", { method: "DELETE" });

export const signOutEverywhere = () => json("/api/session/everywhere/end", { method: "POST" });

/**
 * Sign an entry: the challenge is the entry hash itself. `meaning` is "approve", "legal_review",
 * "attest_certificate_shown", "attest_refusal", "approve_export" ... On a phone that holds several
 * officers' passkeys, `signer` (a staff id) names who is signing: the phone then offers only that
 * officer's passkey, and the server refuses an answer from anyone else's.
 */
export async function signEntry(entryHash, meaning, { comment, clientId, signer } = {}) {
  const url = `/api/entries/${entryHash}/signatures`;
  const named = signer ? { signer } : {};
  const options = await json(`${url}/options`, { method: "POST", body: { meaning, ...named } });
  const credential = await get(options);
  const body = { meaning, credential, ...named };
  if (comment) body.comment = comment;
  if (clientId) body.client_id = clientId;
  return json(url, { method: "POST", body });
}

/** The case members who may sign an entry with `meaning`, and whether each already has. */
export const coSigners = (entryHash, meaning = "co_sign") =>
  json(`/api/entries/${entryHash}/signatures/signers?meaning=${encodeURIComponent(meaning)}`);

/** The case's signatures, each checked by the server against the ledger's registered keys. */
export const caseSignatures = (caseId) => json(`/api/cases/${encodeURIComponent(caseId)}/signatures`);
