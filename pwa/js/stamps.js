// What the device claims about each step: device time, measured offset to server time, GPS fix, device id.
import { kvGet, kvSet } from "./db.js";

const POOR_ACCURACY_M = 50;
const STALE_FIX_MS = 2 * 60 * 1000;
let fix = null;
let fixError = null;
let offsetMs = null;
let deviceId = null;
// Told of every new fix (or its loss); listeners may pass a screen's signal to go when it does.
const fixes = new EventTarget();

export async function init() {
  deviceId = await kvGet("device_id");
  if (!deviceId) {
    deviceId = `dev-${crypto.randomUUID()}`;
    await kvSet("device_id", deviceId);
  }
  offsetMs = await kvGet("clock_offset_ms");
  fix = await kvGet("last_fix");
}

let watching = false;
export const locating = () => watching;

/** Start following the position (the permissions module calls this once the officer knows why). */
export function startLocation() {
  if (watching) return;
  watching = true;
  watchPosition();
}

export const device = () => deviceId;
export const clockOffset = () => offsetMs;

function watchPosition() {
  if (!("geolocation" in navigator)) {
    fixError = "unsupported";
    return;
  }
  const accept = (p) => {
    fix = {
      lat: p.coords.latitude,
      lon: p.coords.longitude,
      accuracy_m: p.coords.accuracy,
      fix_time: new Date(p.timestamp).toISOString(),
    };
    fixError = null;
    kvSet("last_fix", fix);
    fixes.dispatchEvent(new Event("fix"));
  };
  const reject = (e) => {
    fixError = e.code === 1 ? "denied" : "unavailable";
    fixes.dispatchEvent(new Event("fix"));
  };
  navigator.geolocation.watchPosition(
    accept,
    reject,
    { enableHighAccuracy: true, maximumAge: 10_000, timeout: 30_000 },
  );
  // A device standing still gets no new watch callbacks; ask again so the fix does not go stale.
  setInterval(() => navigator.geolocation.getCurrentPosition(accept, reject, { enableHighAccuracy: true, maximumAge: 0, timeout: 30_000 }), 30_000);
}

export function onFix(fn, { signal } = {}) {
  const on = () => fn();
  fixes.addEventListener("fix", on, { signal });
  return () => fixes.removeEventListener("fix", on);
}

/** Position quality for the on-screen warning: "good", "poor", "stale" or "none". */
export function fixQuality(f = fix) {
  if (!f) return "none";
  if (Date.now() - Date.parse(f.fix_time) > STALE_FIX_MS) return "stale";
  if (f.accuracy_m > POOR_ACCURACY_M) return "poor";
  return "good";
}

export const currentFix = () => fix;
export const fixProblem = () => fixError;

/** Measure the offset to server time from one round trip (server time minus the midpoint). */
export async function measureClockOffset() {
  const t0 = Date.now();
  const res = await fetch("/api/time", { cache: "no-store" });
  const t1 = Date.now();
  if (!res.ok) throw new Error(`time ${res.status}`);
  const { now } = await res.json();
  offsetMs = Math.round(Date.parse(now) - (t0 + t1) / 2);
  await kvSet("clock_offset_ms", offsetMs);
  await kvSet("clock_measured_at", new Date().toISOString());
  return offsetMs;
}

/** The `claimed` block of an entry: exactly the fields of shared/schemas/claimed.schema.json. */
export function stamp() {
  const f = fix && fixQuality(fix) !== "stale" ? fix : null;
  const now = new Date();
  return {
    time: now.toISOString(),
    clock_offset_ms: offsetMs,
    // The time is sent in UTC, but cameras write the phone's wall clock without an offset: the
    // server reads EXIF times in this zone (IANA name, and the offset for browsers without one).
    time_zone: deviceZone(),
    utc_offset_min: -now.getTimezoneOffset(),
    geo: f ? { lat: f.lat, lon: f.lon, accuracy_m: f.accuracy_m, fix_time: f.fix_time } : null,
  };
}

function deviceZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}
