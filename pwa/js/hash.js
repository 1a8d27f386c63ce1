// SHA-256 of bytes, as lowercase hex (WebCrypto; the app is only served from a secure context).
export async function sha256Hex(data) {
  const buf = data instanceof Blob ? await data.arrayBuffer() : data;
  const digest = await crypto.subtle.digest("SHA-256", buf);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const textHash = (text) => sha256Hex(new TextEncoder().encode(text));
