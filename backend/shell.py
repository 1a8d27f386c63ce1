"""The officer app's shell as the server serves it: a manifest of its files made from the folders,
the service worker stamped with that manifest, and code under version-named, immutable URLs.

The shell is served cache-first, so a device only ever sees changed files when the service worker
itself changes. A hand-kept version string or file list is easily forgotten; a list made from the
folders and a hash of their contents cannot be: any change to any file is a new worker, which the
app offers as an update.

Code and styles are served under `/v/<version>/…`: a URL that names the shell's content hash never
changes meaning, so browsers may keep it for a year without asking (`immutable`). Relative imports
between modules stay inside one version, so a page never mixes two. The plain `/js/…` URLs stay
valid as one-line modules that re-export the current version's module, so whoever imports
`/js/outbox.js` (a test, a console) shares the running app's module instead of loading a second one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from litestar import Request, Response, get

from backend.errors import NotFound
from backend.security_headers import map_tiles_of, page_policy

# What the officer app is made of; other pages (party/, notices/) live in their own folders.
CODE_FOLDERS = ("js", "css", "vendor")
PLAIN_FOLDERS = ("icons",)
PLAIN_FILES = ("manifest.webmanifest",)
SHARED_FILES = ("strings/ui.zh-CN.json", "strings/ui.en.json", "schemas/form-hints.json")
# Where the first screen's module graph starts: boot, the modules boot always imports (other domains'
# routes, the session's passkey module) and the first visit's screen (sign-in). Their static imports are
# found in the sources at start-up and preloaded, so a slow network fetches the graph in one round of
# requests, not one per import depth. Other screens (the home of a returning officer) come from the
# service worker's cache, where a request costs no round trip; preloading them would only queue them
# before the sign-in screen on the 6 connections a browser opens to one HTTP/1.1 server.
FIRST_SCREENS = (
    "js/main.js",
    "js/role_tabs.js",
    "js/screens/review/routes.js",
    "js/passkeys.js",
    "js/screens/signin.js",
)
IMMUTABLE = "public, max-age=31536000, immutable"
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".html": "text/html",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}
STATIC_IMPORT = re.compile(
    r"""^\s*(?:import|export)\s+(?:[\w*{}\s,$]+?\s+from\s+)?["'](\.{1,2}/[^"']+)["']""", re.M
)
VERSION_LINE = re.compile(r'^const VERSION = "[^"]*";', re.M)
MANIFEST_LINE = re.compile(r"^const MANIFEST = [^\n]*;", re.M)
PRELOAD_MARK = "<!-- modulepreload -->"
CODE_URL = re.compile(r'((?:src|href)=")/((?:js|css)/)')
# A stylesheet the page marks `data-inline` is written into it: the splash paints without a round trip.
INLINE_STYLESHEET = re.compile(r'<link rel="stylesheet" href="/(css/[\w.-]+\.css)" data-inline>')


@dataclass(frozen=True)
class Shell:
    """One version of the shell: its hash and every file it is made of, by URL."""

    version: str
    files: dict[str, Path]  # URL path -> file; code under /v/<version>/
    index_html: str
    worker: str
    # CSP source expressions ('sha256-…') of the inline <style> elements in index_html, and only those.
    style_hashes: tuple[str, ...] = ()

    def code_url(self, rel: str) -> str:
        return f"/v/{self.version}/{rel}"


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix, "application/octet-stream")


def shell_files(pwa_dir: Path, shared_dir: Path) -> dict[str, Path]:
    """The app's files by their plain URL, found in its folders (code, icons, strings, hints)."""
    found: dict[str, Path] = {}
    for folder in (*CODE_FOLDERS, *PLAIN_FOLDERS):
        for path in sorted((pwa_dir / folder).rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                found["/" + path.relative_to(pwa_dir).as_posix()] = path
    for name in PLAIN_FILES:
        if (pwa_dir / name).is_file():
            found[f"/{name}"] = pwa_dir / name
    for name in SHARED_FILES:
        if (shared_dir / name).is_file():
            found[f"/shared/{name}"] = shared_dir / name
    return found


def static_imports(pwa_dir: Path, start: list[str]) -> list[str]:
    """`start` and every module they import statically, as paths under pwa_dir (e.g. "js/dom.js")."""
    seen: list[str] = []
    todo = [s for s in start if (pwa_dir / s).is_file()]
    while todo:
        rel = todo.pop(0)
        if rel in seen:
            continue
        seen.append(rel)
        base = (pwa_dir / rel).parent
        for spec in STATIC_IMPORT.findall((pwa_dir / rel).read_text()):
            target = (base / spec).resolve()
            if target.is_file() and target.is_relative_to(pwa_dir.resolve()):
                todo.append(target.relative_to(pwa_dir.resolve()).as_posix())
    return seen


def build_shell(pwa_dir: Path, shared_dir: Path) -> Shell:
    plain = shell_files(pwa_dir, shared_dir)
    digest = hashlib.sha256()
    for url, path in [*sorted(plain.items()), ("/index.html", pwa_dir / "index.html")]:
        digest.update(url.encode() + b"\0" + path.read_bytes() + b"\0")
    worker_source = (pwa_dir / "sw.js").read_text()
    digest.update(b"/sw.js\0" + worker_source.encode())
    version = digest.hexdigest()[:16]

    def served_at(url: str) -> str:
        top = url.split("/", 2)[1]
        return f"/v/{version}{url}" if top in CODE_FOLDERS else url

    files = {served_at(url): path for url, path in plain.items()}
    shell = Shell(version, files, "", "")
    index, style_hashes = render_index((pwa_dir / "index.html").read_text(), shell, pwa_dir)
    precache = ["/", *files]
    worker = VERSION_LINE.sub(f'const VERSION = "{version}";', worker_source, count=1)
    worker = MANIFEST_LINE.sub(
        lambda _: f"const MANIFEST = {json.dumps({'files': precache})};", worker, count=1
    )
    return Shell(version, files, index, worker, style_hashes)


def style_hash(css: str) -> str:
    """The CSP source expression allowing exactly this <style> element's text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def render_index(html: str, shell: Shell, pwa_dir: Path) -> tuple[str, tuple[str, ...]]:
    """index.html with its code at this version's URLs, the first screen's modules preloaded and
    its `data-inline` stylesheets written in; with the CSP hashes of those inline styles."""
    preload = "\n".join(
        f'<link rel="modulepreload" href="{shell.code_url(rel)}">'
        for rel in static_imports(pwa_dir, list(FIRST_SCREENS))
    )
    hashes: list[str] = []

    def inline(m: re.Match) -> str:
        css = (pwa_dir / m.group(1)).read_text()
        hashes.append(style_hash(css))
        return f"<style>{css}</style>"

    html = INLINE_STYLESHEET.sub(inline, html)
    html = CODE_URL.sub(lambda m: f"{m.group(1)}/v/{shell.version}/{m.group(2)}", html)
    return html.replace(PRELOAD_MARK, preload, 1), tuple(hashes)


class ShellSource:
    """Remembers the shell while none of its files changed (one stat per file per request)."""

    def __init__(self, pwa_dir: Path, shared_dir: Path) -> None:
        self.pwa_dir, self.shared_dir = pwa_dir, shared_dir
        self._seen: tuple = ()
        self._shell: Shell | None = None

    def _stamp(self) -> tuple:
        paths = [
            self.pwa_dir / "index.html",
            self.pwa_dir / "sw.js",
            *shell_files(self.pwa_dir, self.shared_dir).values(),
        ]
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)

    def current(self) -> Shell:
        seen = self._stamp()
        if self._shell is None or seen != self._seen:
            self._shell = build_shell(self.pwa_dir, self.shared_dir)
            self._seen = seen
        return self._shell


def shell_routes(pwa_dir: Path, shared_dir: Path) -> list:
    """The worker, the page, version-named code and the plain-URL module stand-ins."""
    source = ShellSource(pwa_dir, shared_dir)
    # Browsers check these on every start; they must never get a stale copy.
    fresh = {"Cache-Control": "no-cache"}

    @get("/sw.js", opt={"access": "public"}, include_in_schema=False)
    async def service_worker() -> Response[str]:
        return Response(source.current().worker, media_type=MEDIA_TYPES[".js"], headers=fresh)

    @get(["/", "/index.html"], opt={"access": "public"}, include_in_schema=False)
    async def app_page(request: Request) -> Response[str]:
        shell = source.current()
        # The page's own policy: the pages' one, plus the hashes of the styles written into this page.
        policy = page_policy(map_tiles_of(request.scope), shell.style_hashes)
        headers = {**fresh, "Content-Security-Policy": policy}
        return Response(shell.index_html, media_type=MEDIA_TYPES[".html"], headers=headers)

    @get(
        "/v/{version:str}/{path:path}",
        opt={"access": "public"},
        include_in_schema=False,
    )
    async def versioned(version: str, path: str) -> Response[bytes]:
        shell = source.current()
        file = shell.files.get(f"/v/{shell.version}{path}")
        if file is None:
            raise NotFound("no such file in the app")
        # A page of an older version asking for a screen it has not loaded yet gets today's file,
        # uncached: better than a screen that cannot open (its service worker, if any, has its own).
        headers = {"Cache-Control": IMMUTABLE if version == shell.version else "no-store"}
        return Response(file.read_bytes(), media_type=media_type(file), headers=headers)

    @get("/js/{path:path}", opt={"access": "public"}, include_in_schema=False)
    async def plain_module(path: str) -> Response[str]:
        shell = source.current()
        url = f"/v/{shell.version}/js{path}"
        if url not in shell.files or not path.endswith(".js"):
            raise NotFound("no such module in the app")
        return Response(f'export * from "{url}";\n', media_type=MEDIA_TYPES[".js"], headers=fresh)

    return [service_worker, app_page, versioned, plain_module]
