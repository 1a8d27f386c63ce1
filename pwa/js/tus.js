// A tus 1.0.0 client (core + creation-with-upload) that resumes from the server's offset after any interruption.
import { ApiError, raw } from "./api.js";

const CHUNK = 512 * 1024;
const b64 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(String(s))));

async function check(res, ...ok) {
  if (ok.includes(res.status)) return res;
  let body = null;
  try {
    body = await res.json();
  } catch {}
  throw new ApiError(res.status, body);
}

/**
 * Start an upload, sending `first` (a Blob: the first chunk, a whole photo) with it
 * (creation-with-upload). Returns the upload's path and the offset to go on from.
 */
export async function create(size, meta, first) {
  const res = await check(
    await raw("/api/uploads", {
      method: "POST",
      body: first,
      headers: {
        "Tus-Resumable": "1.0.0",
        "Upload-Length": String(size),
        "Upload-Metadata": Object.entries(meta)
          .map(([k, v]) => `${k} ${b64(v)}`)
          .join(","),
        "Content-Type": "application/offset+octet-stream",
      },
    }),
    201,
  );
  const url = new URL(res.headers.get("Location"), location.href).pathname;
  return { url, offset: Number(res.headers.get("Upload-Offset") ?? 0) };
}

/** The first chunk of `blob`, for `create`. */
export const firstChunk = (blob) => blob.slice(0, CHUNK);

/** The server's offset for an upload, or null when the upload is gone and must be created again. */
export async function offset(url) {
  const res = await raw(url, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0" } });
  if (res.status === 404 || res.status === 410) return null;
  await check(res, 200, 204);
  return Number(res.headers.get("Upload-Offset"));
}

/** Send `blob` from the server's offset on; `onProgress(sent)` after each chunk. */
export async function send(url, blob, from, onProgress) {
  let at = from;
  while (at < blob.size) {
    const part = blob.slice(at, at + CHUNK);
    const res = await check(
      await raw(url, {
        method: "PATCH",
        body: part,
        headers: {
          "Tus-Resumable": "1.0.0",
          "Upload-Offset": String(at),
          "Content-Type": "application/offset+octet-stream",
        },
      }),
      204,
      200,
    );
    at = Number(res.headers.get("Upload-Offset") ?? at + part.size);
    onProgress?.(at);
  }
  return at;
}
