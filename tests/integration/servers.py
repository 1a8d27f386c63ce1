"""Real `casetrail serve` processes on a test's database, for the scale-out and kill -9 stories.

`Server` starts one (optionally `--workers N`), waits until it answers, and can be killed -9 and
started again on the same port. `real_client` is an httpx client against it that the shared
`signed_in` helper can use (it reads the settings from `client.app.state.settings`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from backend.settings import Settings
from tests.waiting import answers, until

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(settings: Settings, database_url: str, public_url: str, **extra: str) -> dict:
    """One deployment's settings: every server of it shares the database, keys and blobs."""
    env = {
        **os.environ,
        "CASETRAIL_DATA_DIR": str(settings.data_dir),
        "CASETRAIL_DATABASE_URL": database_url,
        "CASETRAIL_PUBLIC_URL": public_url,
        # The tests sign checkpoints when they mean to.
        "CASETRAIL_CHECKPOINT_INTERVAL_S": "3600",
        "CASETRAIL_CHECKPOINT_FIRST_S": "3600",
        # Every server is reached from 127.0.0.1 by many test clients at once.
        "CASETRAIL_MAX_CONNECTIONS_PER_CLIENT": "0",
    }
    env.pop("CASETRAIL_TRUSTED_PROXIES", None)
    env.update(extra)
    return env


class Server:
    """`casetrail serve` on a port of its own, started and killed by the test."""

    def __init__(self, env: dict, log_path: Path, workers: int = 1) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 120) -> Server:
        self.launch()
        return self.wait_ready(timeout_s)

    def launch(self) -> Server:
        args = [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port)]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def wait_ready(self, timeout_s: float = 120) -> Server:
        assert self.process is not None
        process = self.process

        def up() -> bool:
            assert process.poll() is None, self.log_path.read_text()
            return answers(self.url)

        until(up, timeout_s, self.log_path.read_text)
        return self

    def worker_pids(self) -> list[int]:
        """The forked server processes (`--workers N`), read from /proc."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill(self) -> None:
        """kill -9 the server and its workers: no shutdown, no flush, as a power cut would."""
        assert self.process is not None
        victims = self.worker_pids() if self.workers > 1 else []
        for pid in [self.process.pid, *victims]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(30)
        for pid in victims:  # the workers are not our children: wait until they are gone
            until(lambda pid=pid: not Path(f"/proc/{pid}").exists() or _state(pid) == "Z", 30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


def real_client(url: str, settings: Settings, **kw: Any) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=60, **kw)
    client.app = SimpleNamespace(state=SimpleNamespace(settings=settings))  # type: ignore[attr-defined]
    return client
