"""The security headers every response carries, set in one place for pages, API answers and files.

Pages (the officer app, `/party/`, `/notices/`) get a Content-Security-Policy that allows only
the server's own scripts and styles, no framing, and a Permissions-Policy. Everything else that is
not a script is sandboxed: a PDF with JavaScript, an HTML-looking attachment or an SVG opened
straight from its URL then runs in an opaque origin, never in the app's (where it could read the
session's CSRF cookie and call the API). A handler may set a header itself; that one is kept.
"""

from __future__ import annotations

from functools import cache

from litestar.types import Message, Scope


@cache
def page_policy(map_tiles: str = "", style_hashes: tuple[str, ...] = ()) -> str:
    """The pages' policy; `map_tiles` is the configured map service's origin (images only);
    `style_hashes` allow a page's own inline <style> elements by their exact text (never
    'unsafe-inline': a style injected into the page would not match)."""
    # blob: serves the photos and PDFs the pages build from fetched bytes (IndexedDB captures, the
    # party's document fetched with its token header); data: the admin's QR code image.
    images = "img-src 'self' data: blob:" + (f" {map_tiles}" if map_tiles else "")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            " ".join(["style-src 'self'", *style_hashes]),
            images,
            "media-src 'self' blob:",
            "object-src 'self' blob:",
            "frame-src 'self' blob:",
            "worker-src 'self'",
            # A blob: URL is made by the page's own scripts from bytes they already hold; reading it
            # back (the party page's document, checked against its hash) reaches nothing new.
            "connect-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


PAGE_POLICY = page_policy()
FILE_POLICY = "sandbox"
PERMISSIONS = "camera=(self), microphone=(self), geolocation=(self)"

EVERYWHERE = {
    b"x-content-type-options": b"nosniff",
    # Party links carry their token in the fragment, which browsers never send; be safe anyway.
    b"referrer-policy": b"no-referrer",
}
PAGES = {
    b"content-security-policy": PAGE_POLICY.encode(),
    b"permissions-policy": PERMISSIONS.encode(),
    b"x-frame-options": b"DENY",  # frame-ancestors for browsers without CSP level 2
}
# A worker script's own CSP governs what the worker may fetch: the service worker gets the pages'.
SCRIPTS = {b"content-security-policy": PAGE_POLICY.encode()}
FILES = {b"content-security-policy": FILE_POLICY.encode()}


def _content_type(headers: list[tuple[bytes, bytes]]) -> bytes:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.split(b";", 1)[0].strip().lower()
    return b""


def headers_for(content_type: bytes, map_tiles: str = "") -> dict[bytes, bytes]:
    """The headers a response of this type must carry (pages may show the map service's tiles)."""
    policy = {b"content-security-policy": page_policy(map_tiles).encode()}
    if content_type == b"text/html":
        return {**EVERYWHERE, **PAGES, **policy}
    if content_type in (b"text/javascript", b"application/javascript"):
        return {**EVERYWHERE, **SCRIPTS, **policy}
    return {**EVERYWHERE, **FILES}


def map_tiles_of(scope: Scope) -> str:
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    return getattr(settings, "map_tile_origin", "") or ""


async def add_security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: runs for every response the app sends, refusals and static files too."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    wanted = headers_for(_content_type(headers), map_tiles_of(scope))
    headers += [(name, value) for name, value in wanted.items() if name not in present]
    message["headers"] = headers  # type: ignore[typeddict-unknown-key]
