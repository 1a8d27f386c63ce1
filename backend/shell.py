"""The officer app's service worker, stamped with a version made from the app shell it precaches.

The shell is served cache-first, so a device only ever sees changed files when the service worker
itself changes. A hand-kept version string is easily forgotten; a hash of the listed shell files
cannot be: any change to any of them is a new worker, which the app offers as an update.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from litestar import Response, get

VERSION_LINE = re.compile(r'^const VERSION = "[^"]*";', re.M)
LISTED = re.compile(r'"(/[^"]*)"')


def shell_paths(sw_source: str) -> list[str]:
    """The URLs in the worker's SHELL_FILES and OPTIONAL_FILES lists."""
    out: list[str] = []
    for name in ("SHELL_FILES", "OPTIONAL_FILES"):
        block = sw_source.split(f"const {name} = [", 1)[1].split("];", 1)[0]
        out += LISTED.findall(block)
    return out


def file_of(url: str, pwa_dir: Path, shared_dir: Path) -> Path:
    if url == "/":
        return pwa_dir / "index.html"
    if url.startswith("/shared/"):
        return shared_dir / url.removeprefix("/shared/")
    return pwa_dir / url.lstrip("/")


class ShellVersion:
    """Remembers the version while no shell file changed (one stat per file per request)."""

    def __init__(self, pwa_dir: Path, shared_dir: Path) -> None:
        self.pwa_dir, self.shared_dir = pwa_dir, shared_dir
        self._seen: tuple = ()
        self._script = ""

    def _stamp(self, paths: list[Path]) -> tuple:
        def stat(p: Path) -> tuple:
            try:
                s = p.stat()
            except FileNotFoundError:  # an optional screen not there (yet)
                return (str(p), None)
            return (str(p), s.st_mtime_ns, s.st_size)

        return tuple(stat(p) for p in paths)

    def script(self) -> str:
        """sw.js with its VERSION line set to the shell's content hash."""
        source = (self.pwa_dir / "sw.js").read_text()
        urls = ["/sw.js", *shell_paths(source)]
        files = [file_of(u, self.pwa_dir, self.shared_dir) for u in urls]
        seen = self._stamp(files)
        if seen != self._seen:
            digest = hashlib.sha256()
            for url, path in zip(urls, files, strict=True):
                if path.is_file():
                    digest.update(url.encode() + b"\0" + path.read_bytes() + b"\0")
            version = digest.hexdigest()[:16]
            self._script = VERSION_LINE.sub(f'const VERSION = "{version}";', source, count=1)
            self._seen = seen
        return self._script


def service_worker_route(pwa_dir: Path, shared_dir: Path):
    shell = ShellVersion(pwa_dir, shared_dir)

    @get("/sw.js", opt={"access": "public"}, include_in_schema=False, sync_to_thread=True)
    def service_worker() -> Response[str]:
        # Browsers check the worker on every start; they must never get a stale copy of it.
        return Response(
            shell.script(),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    return service_worker
