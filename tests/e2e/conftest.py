"""Real-browser test set-up: uvicorn in a subprocess on a temp data dir, Debian Chromium with fake devices.

The app must be reached as http://localhost:<port> (not 127.0.0.1): WebAuthn and service workers need it.
Browser tests run as their own pytest process (`.venv/bin/pytest tests/e2e -q`): sync Playwright keeps
an event loop running that asyncio tests would trip over.
"""

from __future__ import annotations

import math
import os
import re
import socket
import struct
import subprocess
import sys
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, Playwright, sync_playwright

from tests.waiting import answers, until

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
GEO = {"latitude": 26.8968, "longitude": 112.5719, "accuracy": 8}  # Hengyang, Zhengxiang district
AGENCY = "zhengxiang-hrss"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run `casetrail <args>` against this server's data directory."""
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> Server:
    port = free_port()
    url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "CASETRAIL_DATA_DIR": str(data_dir),
        "CASETRAIL_PUBLIC_URL": url,
        "CASETRAIL_ORIGINS": url,
        "CASETRAIL_RP_ID": "localhost",
        "CASETRAIL_CHECKPOINT_INTERVAL_S": "3600",
        **(extra_env or {}),
    }
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backend.serving",  # uvicorn as `casetrail serve` runs it, connection limits and all
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text())
        return answers(url)

    try:
        until(up, 60, lambda: "server did not start:\n" + (data_dir / "server.log").read_text())
    except AssertionError:
        process.kill()
        raise
    return Server(url, data_dir, env, process)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("casetrail-data")
    srv = start_server(data_dir)
    srv.cli("init", check=False)
    yield srv
    srv.process.terminate()
    try:
        srv.process.wait(10)
    except subprocess.TimeoutExpired:
        srv.process.kill()


def write_y4m(path: Path, width: int = 320, height: int = 240, frames: int = 30) -> Path:
    """A solid-colour (orange) 4:2:0 video for the fake camera."""
    y, u, v = 150, 44, 200
    frame = (
        bytes([y]) * (width * height)
        + bytes([u]) * (width * height // 4)
        + bytes([v]) * (width * height // 4)
    )
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + frame)
    return path


def write_wav(path: Path, seconds: float = 2.0, freq: float = 440.0, rate: int = 48000) -> Path:
    """A sine tone for the fake microphone."""
    n = int(seconds * rate)
    samples = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n)
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)
    return path


@pytest.fixture(scope="session")
def fake_media(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    d = tmp_path_factory.mktemp("fake-media")
    video = write_y4m(d / "camera.y4m")
    audio = write_wav(d / "mic.wav")
    return [
        f"--use-file-for-fake-video-capture={video}",
        f"--use-file-for-fake-audio-capture={audio}",
    ]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


def _as_function(wait_for_function):
    """Poll a bare expression as an arrow function.

    Playwright re-evaluates a bare expression with the page's `eval` on every poll, which the
    pages' CSP (no 'unsafe-eval') refuses; a function is compiled once outside the page's policy.
    """

    def wait(self, expression: str, *args, **kwargs):
        stripped = expression.lstrip()
        if not (stripped.startswith(("function", "async")) or "=>" in stripped):
            expression = f"() => ({expression})"
        return wait_for_function(self, expression, *args, **kwargs)

    return wait


Page.wait_for_function = _as_function(Page.wait_for_function)  # type: ignore[method-assign]
Frame.wait_for_function = _as_function(Frame.wait_for_function)  # type: ignore[method-assign]

# What Chromium reported as refused by a page's Content-Security-Policy during the current test.
CSP_VIOLATIONS: list[str] = []


def watch_csp(ctx: BrowserContext) -> BrowserContext:
    """Chromium logs every CSP refusal to the console as an error naming the policy."""

    def seen(message) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{message.location.get('url', '')}: {message.text}")

    ctx.on("console", seen)
    return ctx


@pytest.fixture(scope="session")
def browser(playwright: Playwright, fake_media: list[str]) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *fake_media])
    new_context = b.new_context
    # Every context a test makes, in the fixtures or in the test itself, is watched.
    b.new_context = lambda **options: watch_csp(new_context(**options))  # type: ignore[method-assign]
    yield b
    b.close()


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """A test fails if anything it showed was refused by the CSP (an inline script or style)."""
    CSP_VIOLATIONS.clear()
    yield
    found, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert not found, "CSP violations:\n" + "\n".join(found)


def context_options(server: Server) -> dict:
    return {
        "base_url": server.url,
        "geolocation": GEO,
        "permissions": ["geolocation", "camera", "microphone"],
        "has_touch": True,
        "viewport": {"width": 412, "height": 915},
        "device_scale_factor": 2,
        "is_mobile": True,
        "locale": "zh-CN",
        "service_workers": "allow",
    }


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = browser.new_context(**context_options(server))
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def add_authenticator(page: Page) -> tuple[object, str]:
    """A CDP virtual platform authenticator with user verification (fingerprint/face) always passing."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    res = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, res["authenticatorId"]


def invite_link(server: Server, role: str = "officer", agency: str = AGENCY, name: str = "") -> str:
    """A one-time registration link from `casetrail invite` (the identity domain's bootstrap)."""
    args = ["invite", "--agency", agency, "--role", role]
    if name:
        args += ["--name", name]
    out = server.cli(*args).stdout
    m = re.search(r"https?://\S+", out)
    assert m, f"no link in: {out}"
    return m.group(0)


def wait_ready(page: Page) -> None:
    page.wait_for_function("document.documentElement.dataset.ready === '1'", timeout=30_000)


def register_officer(page: Page, server: Server, role: str = "officer", name: str = "") -> str:
    """Invite a staff member with the CLI, open the link and register a passkey in the app.

    Returns the registration link used. The page must already have a virtual authenticator.
    """
    if server.cli("invite", "--help", check=False).returncode != 0:
        pytest.skip(
            "staff sign-in needs `casetrail invite` from the identity domain, not present yet"
        )
    link = invite_link(server, role=role, name=name)
    page.goto(link)
    wait_ready(page)
    page.locator("#register").click()
    page.wait_for_function("location.hash === '#/' || location.hash === ''", timeout=30_000)
    page.wait_for_selector("#new-case", timeout=30_000)
    # Home keeps the agency's record forms for offline use; wait until it has.
    page.wait_for_function("document.documentElement.dataset.offlineReady === '1'", timeout=30_000)
    return link


READ_OUTBOX = """() => new Promise((resolve, reject) => {
  const q = indexedDB.open('casetrail');
  q.onerror = () => reject(q.error);
  q.onsuccess = () => {
    const r = q.result.transaction('outbox').objectStore('outbox').getAll();
    r.onsuccess = () => resolve(r.result.sort((a, b) => a.seq - b.seq));
  };
})"""


def outbox_items(page: Page) -> list[dict]:
    """The outbox as stored in the page's IndexedDB (without blob bytes)."""
    return page.evaluate(READ_OUTBOX)


def poll_page(
    page: Page, check: str, arg: object = None, timeout_s: float = 30, every_ms: int = 100
) -> object:
    """Run the async JS function `check(arg)` in the page until it gives something truthy; return it.

    For states Playwright cannot wait on by itself (`wait_for_function` does not await a promise):
    what IndexedDB holds. The page polls, so the test waits no longer than the state takes; after
    `timeout_s` this gives None.
    """
    return page.evaluate(
        f"""async ([arg, timeoutMs, everyMs]) => {{
          const check = {check};
          const until = performance.now() + timeoutMs;
          for (;;) {{
            const found = await check(arg);
            if (found || performance.now() > until) return found || null;
            await new Promise((r) => setTimeout(r, everyMs));
          }}
        }}""",
        [arg, timeout_s * 1000, every_ms],
    )


def wait_outbox(page: Page, done: str, arg: object = None, timeout_s: float = 30) -> list[dict]:
    """Wait until the JS predicate `done(items, arg)` holds of the outbox; return its items."""
    found = poll_page(
        page,
        f"async (arg) => {{ const items = await ({READ_OUTBOX})(); return ({done})(items, arg) && items; }}",
        arg,
        timeout_s,
    )
    if found is None:
        raise AssertionError(f"outbox never reached `{done}`: {outbox_items(page)}")
    return found  # type: ignore[return-value]


# Until every item is sent (or one is refused): the page nudges a sync at most every half second and
# otherwise sleeps until the outbox says an item changed, so the test waits no longer than the sending takes.
ALL_SENT = """async (timeoutMs) => {
  const outbox = await import('/js/outbox.js');
  const until = performance.now() + timeoutMs;
  let kicked = -Infinity;
  for (;;) {
    const items = await outbox.items();
    const settled = items.length
      && (items.every((i) => i.state === 'sent') || items.some((i) => i.state === 'rejected'));
    const left = until - performance.now();
    if (settled || left <= 0) return items;
    if (performance.now() - kicked >= 500) {
      kicked = performance.now();
      outbox.kick();
    }
    const stop = new AbortController();
    await new Promise((changed) => {
      outbox.events.addEventListener('change', changed, { signal: stop.signal });
      setTimeout(changed, Math.min(left, 500));
    });
    stop.abort();
  }
}"""


def wait_all_sent(page: Page, timeout_s: float = 120) -> list[dict]:
    """Wait until every outbox item is on the timeline; fail naming what is stuck."""
    items = page.evaluate(ALL_SENT, timeout_s * 1000)
    if items and all(i["state"] == "sent" for i in items):
        return items
    stuck = [
        (i["type"], i["body"].get("kind"), i["state"], i.get("error"))
        for i in items
        if i["state"] != "sent"
    ]
    raise AssertionError(f"not all sent: {stuck}")
