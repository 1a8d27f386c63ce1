#!/usr/bin/env python3
"""HTTP benchmark: durable appends/s over the real API at N signed-in officers, and a mixed run.

Prints figures; never a test. It starts `casetrail serve` (uvicorn) in a subprocess on loopback with
a temporary data directory (SQLite), or with `--db postgres` a fresh database of its own on the
PostgreSQL at 127.0.0.1:5432 (dropped afterwards). Before the server starts, a setup process makes
N officers (staff rows, as `casetrail invite` + a registered passkey would leave them) and a server
session for each with `identity.sessions.start_session` (what the sign-in endpoint does once the
passkey checks out: the passkey ceremony itself is not what is measured), and opens a case for each
officer with the cases domain's `open_case`. Then `wrk` (Debian's; `apt-get install -y wrk`) drives:

1. appends: every connection POSTs `note` entries with fresh client ids, rotating the officers'
   session cookies, CSRF tokens and cases (wrk's Lua script, written next to the data);
2. mixed: 80% appends, 15% timeline reads (wrk) and 5% photo uploads (tus create-with-upload plus
   finalise, from a Python thread paced to a twentieth of all requests).

The server's CPU time comes from /proc. `restart_ms` is a round's slowest restart: the first one
after the load has the most to catch up. Last line:

RESULT appends_per_s=<n> p99_ms=<ms> cpu_ms_per_append=<ms> mixed_max_ms=<ms> restart_ms=<ms>

Usage: .venv/bin/python scripts/bench_http.py [--db sqlite|postgres] [--officers N]
       [--append-duration S] [--duration S (mixed)] [--threads T] [--rounds R] [--keep]
       [--workers N (PostgreSQL)] [--restarts K (kill -9, then time until the first 200)]
       [--py-spy FILE (collapsed stacks of the server during the appends; needs py-spy)]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

AGENCY = "hebei-hrss"
# `python -m backend.cli` from this checkout: the virtualenv's `casetrail` script imports the
# checkout the virtualenv was installed from, which for a git worktree is another one.
CASETRAIL = [sys.executable, "-m", "backend.cli"]
PG_ADMIN = os.environ.get("CASETRAIL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
LAT, LON = 38.0428, 114.5149

# Made in a process of its own before the server starts, so the server's tree and projections
# start from a database nobody else writes to. Prints one JSON line: the officers.
SETUP = r"""
import asyncio, json, sys, uuid
from backend.cases.lifecycle import open_case
from backend.identity.sessions import start_session
from backend.identity.staff import create_staff
from backend.ledger.entry import Draft
from backend.runtime import open_runtime
from backend.settings import Settings

count, agency, extra = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

async def main():
    settings = Settings.from_env()
    officers = []
    async with open_runtime(settings) as rt:
        for i in range(count):
            staff_id = f"bench-officer-{i:04d}"
            await create_staff(staff_id, agency, f"执法员{i:04d}", ["officer"])
            token, csrf = await start_session(staff_id, None, settings, "127.0.0.1", "bench")
            case_id = await open_case(
                rt.ledger, agency_id=agency, actor=staff_id, client_id=str(uuid.uuid4()),
                payload={"title": f"欠薪投诉现场检查（基准{i}）", "enforcement_kind": "inspection",
                         "procedure": "general", "start_path": "complaint", "parties": []},
                officers=[],
            )
            officers.append({"staff_id": staff_id, "session": token, "csrf": csrf,
                             "case_id": case_id})
        # A log of the size asked for: notes on the officers' cases, appended in large groups.
        made, group = 0, 200
        async def fill(worker):
            nonlocal made
            while made < extra:
                n = min(group, extra - made)
                made += n
                case_id = officers[worker % len(officers)]["case_id"]
                await rt.ledger.append_all([
                    Draft(case_id=case_id, kind="note", client_id=str(uuid.uuid4()),
                          actor=officers[worker % len(officers)]["staff_id"],
                          payload={"text": "巡查记录：现场秩序正常，未发现违法行为。"})
                    for _ in range(n)
                ])
                worker += 8
        await asyncio.gather(*(fill(w) for w in range(8)))
    print(json.dumps(officers))

asyncio.run(main())
"""

LUA = r"""
-- Appends (and in the mixed run timeline reads) with fresh client ids, rotating officers.
local officers = {}
local reads = tonumber(os.getenv("BENCH_READ_PERCENT") or "0")
local counter = 0
local threads = {}
next_thread = 0  -- in the main state: numbers the threads

function setup(thread)
  thread:set("thread_no", next_thread)  -- a global of that thread's own state
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_OFFICERS")) do
    local session, csrf, case_id = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)")
    table.insert(officers, {
      cookie = "casetrail_session=" .. session .. "; csrftoken=" .. csrf,
      csrf = csrf,
      case_id = case_id,
    })
  end
  -- Every thread of every run its own sequence of client ids (a repeat would be a resend).
  local urandom = io.open("/dev/urandom", "rb")
  local b1, b2, b3, b4 = urandom:read(4):byte(1, 4)
  urandom:close()
  math.randomseed(((b1 * 256 + b2) * 256 + b3) * 256 + b4)
  counter = thread_no * 1000000
end

local function uuid4()
  local r = math.random
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x", r(0, 0xffffffff), r(0, 0xffff),
    r(0, 0xfff), 0x8000 + r(0, 0x3fff), r(0, 0xffff), r(0, 0xffffffff))
end

function request()
  counter = counter + 1
  local o = officers[(counter % #officers) + 1]
  if reads > 0 and math.random(100) <= reads then
    return wrk.format("GET", "/api/cases/" .. o.case_id .. "/timeline?limit=50",
      { ["Cookie"] = o.cookie })
  end
  local body = '{"kind":"note","client_id":"' .. uuid4() ..
    '","payload":{"text":"现场检查：当事人在场，执法人员出示证件，第' .. counter .. '条。"},' ..
    '"claimed":{"time":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ") ..
    '","clock_offset_ms":0,"geo":{"lat":38.0428,"lon":114.5149,"accuracy_m":8.0}}}'
  return wrk.format("POST", "/api/cases/" .. o.case_id .. "/entries", {
    ["Cookie"] = o.cookie,
    ["x-csrftoken"] = o.csrf,
    ["Content-Type"] = "application/json",
  }, body)
end

appended, read, failed = 0, 0, 0  -- globals: done() reads them with thread:get

function response(status, headers, body)
  if status == 201 then appended = appended + 1
  elseif status == 200 then read = read + 1
  elseif status >= 500 then failed = failed + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local acked, reads, server_errors = 0, 0, 0
  for _, t in ipairs(threads) do
    acked = acked + t:get("appended")
    reads = reads + t:get("read")
    server_errors = server_errors + t:get("failed")
  end
  io.write(string.format(
    "WRK {\"requests\":%d,\"duration_us\":%d,\"status_errors\":%d,\"connect\":%d," ..
    "\"read\":%d,\"write\":%d,\"timeout\":%d,\"p50_us\":%d,\"p99_us\":%d,\"max_us\":%d," ..
    "\"appended\":%d,\"reads\":%d,\"server_errors\":%d}\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, acked, reads, server_errors))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("this benchmark drives the server with wrk: apt-get install -y wrk")


class Database:
    """SQLite in the data directory, or a PostgreSQL database made for this run and dropped after."""

    def __init__(self, kind: str, data_dir: Path) -> None:
        self.kind = kind
        self.name = f"bench_http_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.url = (
            f"sqlite:///{data_dir / 'casetrail.sqlite'}"
            if kind == "sqlite"
            else PG_ADMIN.rsplit("/", 1)[0] + "/" + self.name
        )

    async def _admin(self, sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def create(self) -> None:
        if self.kind == "postgres":
            asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))

    def notes(self) -> int:
        """`note` entries in the log (to check that every acknowledged append is there)."""
        sql = "SELECT COUNT(*) FROM ledger_entry WHERE kind = 'note'"
        if self.kind == "sqlite":
            import sqlite3

            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                return conn.execute(sql).fetchone()[0]

        async def count() -> int:
            import asyncpg

            conn = await asyncpg.connect(self.url)
            try:
                return await conn.fetchval(sql)
            finally:
                await conn.close()

        return asyncio.run(count())

    def drop(self) -> None:
        if self.kind == "postgres":
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


class Server:
    def __init__(
        self, data_dir: Path, database_url: str, checkout: Path = ROOT, workers: int = 1
    ) -> None:
        self.checkout = checkout
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CASETRAIL_DATA_DIR": str(data_dir),
            "CASETRAIL_DATABASE_URL": database_url,
            "CASETRAIL_PUBLIC_URL": f"http://localhost:{self.port}",
            # Every officer comes from loopback here, as from a reverse proxy in production.
            "CASETRAIL_MAX_CONNECTIONS_PER_CLIENT": "0",
            "PYTHONPATH": str(checkout),
            # Bytecode kept as an installed server keeps it (pip compiles it), in the run's own
            # directory: without it every restart compiled the whole backend again.
            "PYTHONPYCACHEPREFIX": str(data_dir / "pycache"),
        }
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.log = (data_dir / "server.log").open("w")
        self.proc: subprocess.Popen | None = None

    def setup(self, officers: int, extra_entries: int = 0) -> list[dict]:
        done = subprocess.run(
            [sys.executable, "-c", SETUP, str(officers), AGENCY, str(extra_entries)],
            cwd=self.checkout,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"setup failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self) -> float:
        """Start `casetrail serve`; the seconds until it first answered /api/time."""
        t = time.perf_counter()
        workers = ["--workers", str(self.workers)] if self.workers > 1 else []
        self.proc = subprocess.Popen(
            [*CASETRAIL, "serve", "--host", "127.0.0.1", "--port", str(self.port), *workers],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=self.checkout,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("the server exited; see server.log")
            try:
                if httpx.get(f"{self.url}/api/time").status_code == 200:
                    return time.perf_counter() - t
            except httpx.HTTPError:
                pass
            time.sleep(0.02)  # polling the port: the restart time is measured to this grain
        raise SystemExit("the server did not start within 120 s")

    def restart_after_kill(self) -> float:
        """kill -9 the server (its workers follow: they die with their parent), then the seconds
        from starting it again until its first 200 on /api/time."""
        assert self.proc is not None
        workers = self._children(self.proc.pid)
        self.proc.kill()
        self.proc.wait()
        for pid in workers:  # the port is free once they are gone
            while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
                time.sleep(0.01)
        return self.start()

    @staticmethod
    def _children(pid: int) -> list[int]:
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(x) for x in path.read_text().split()] if path.exists() else []

    def cpu_s(self) -> float:
        """CPU seconds of the server and its worker processes."""
        assert self.proc is not None
        total = 0.0
        for pid in [self.proc.pid, *self._children(self.proc.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "Z"


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float
    appended: int = 0  # 201s: entries the server acknowledged
    server_errors: int = 0  # 5xx

    @property
    def ok_per_s(self) -> float:
        return (self.requests - self.errors) / self.seconds


def run_wrk(
    wrk: str,
    server: Server,
    work: Path,
    connections: int,
    threads: int,
    seconds: float,
    read_percent: int = 0,
) -> WrkResult:
    script = work / "bench_http.lua"
    script.write_text(LUA)
    env = {
        **os.environ,
        "BENCH_OFFICERS": str(work / "officers.tsv"),
        "BENCH_READ_PERCENT": str(read_percent),
    }
    cpu = server.cpu_s()
    done = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "-s",
            str(script),
            server.url,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    cpu = server.cpu_s() - cpu
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    out = json.loads(line[4:])
    if os.environ.get("BENCH_DEBUG"):
        print("   ", out)
    errors = out["status_errors"] + out["connect"] + out["read"] + out["write"] + out["timeout"]
    return WrkResult(
        out["requests"],
        out["duration_us"] / 1e6,
        errors,
        out["p50_us"] / 1000,
        out["p99_us"] / 1000,
        out["max_us"] / 1000,
        cpu,
        out["appended"],
        out["server_errors"],
    )


# -- photos for the mixed run --------------------------------------------------------------------


def photo_base() -> bytes:
    """A noise JPEG of about 2.5 MB (a phone photo's size); each upload gets its own EXIF block."""
    from PIL import Image

    rng = random.Random(7)
    w, h = 1600, 1200
    out = io.BytesIO()
    Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3)).save(out, "JPEG", quality=92)
    return out.getvalue()


def photo(base: bytes, taken: datetime) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Huawei", "ELS-AN00"
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    ifd[0x9011] = "+00:00"
    ifd[0xA420] = uuid.uuid4().hex  # its own hash
    segment = exif.tobytes()
    return base[:2] + b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment + base[2:]


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


@dataclass
class Uploader:
    """Photo uploads (tus create-with-upload, then finalise), paced to `per_s`, on a thread."""

    server: Server
    officers: list[dict]
    per_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    photos: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        base = photo_base()
        rng = random.Random(3)
        with httpx.Client(base_url=self.server.url, timeout=120) as c:
            started = time.perf_counter()
            while not self.stop.is_set():
                due = started + self.photos / self.per_s
                if (wait := due - time.perf_counter()) > 0:
                    self.stop.wait(wait)
                    continue
                self.upload_one(c, base, rng.choice(self.officers))

    def timed(self, send) -> httpx.Response | None:  # noqa: ANN001
        t = time.perf_counter()
        try:
            r = send()
        except httpx.HTTPError:
            self.errors += 1
            return None
        self.latencies_ms.append((time.perf_counter() - t) * 1000)
        if r.status_code >= 300:
            self.errors += 1
            return None
        return r

    def upload_one(self, c: httpx.Client, base: bytes, officer: dict) -> None:
        now = datetime.now(UTC)
        data = photo(base, now)
        sha = hashlib.sha256(data).hexdigest()
        client_id = str(uuid.uuid4())
        cookies = {"casetrail_session": officer["session"], "csrftoken": officer["csrf"]}
        headers = {"x-csrftoken": officer["csrf"]}
        meta = {
            "sha256": sha,
            "media_type": "image/jpeg",
            "case_id": officer["case_id"],
            "client_id": client_id,
            "filename": "IMG_0001.jpg",
        }
        c.cookies.clear()
        for k, v in cookies.items():
            c.cookies.set(k, v)
        created = self.timed(
            lambda: c.post(
                "/api/uploads",
                content=data,
                headers={
                    **headers,
                    "Tus-Resumable": "1.0.0",
                    "Upload-Length": str(len(data)),
                    "Upload-Metadata": ",".join(f"{k} {b64(v)}" for k, v in meta.items()),
                    "Content-Type": "application/offset+octet-stream",
                },
            )
        )
        if created is None:
            return
        stamp = now.isoformat().replace("+00:00", "Z")
        body = {
            "client_id": client_id,
            "sha256": sha,
            "kind": "media.photo",
            "media_type": "image/jpeg",
            "claimed": {"time": stamp, "clock_offset_ms": 0,
                        "geo": {"lat": LAT, "lon": LON, "accuracy_m": 8.0, "fix_time": stamp}},
            "device": None,
            "payload": {},
        }  # fmt: skip
        if self.timed(
            lambda: c.post(f"/api/cases/{officer['case_id']}/media", headers=headers, json=body)
        ):
            self.photos += 1


# -- the run -------------------------------------------------------------------------------------


def mixed_with_photos(
    wrk: str,
    server: Server,
    work: Path,
    officers: list[dict],
    threads: int,
    seconds: float,
    photos_per_s: float,
) -> tuple[WrkResult, Uploader]:
    """Appends and reads from every officer (16% reads) while photos upload beside them."""
    uploader = Uploader(server, officers, per_s=photos_per_s)
    thread = threading.Thread(target=uploader.run, daemon=True)
    thread.start()
    try:
        mixed = run_wrk(wrk, server, work, len(officers), threads, seconds, read_percent=16)
    finally:
        uploader.stop.set()
        thread.join(120)
    return mixed, uploader


def tear_down(server: Server, database: Database, work: Path, keep: bool) -> None:
    """Stop the server, drop its database and remove its work folder (unless asked to keep it)."""
    server.stop()
    database.drop()
    if keep:
        print(f"  kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def one_round(args: argparse.Namespace, wrk: str) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="casetrail-bench-http-"))
    database = Database(args.db, work)
    database.create()
    server = Server(work, database.url, args.checkout, args.workers)
    try:
        t = time.perf_counter()
        officers = server.setup(args.officers)
        (work / "officers.tsv").write_text(
            "".join(f"{o['session']}\t{o['csrf']}\t{o['case_id']}\n" for o in officers)
        )
        print(f"  {args.officers} officers signed in, cases open: {time.perf_counter() - t:.1f} s")
        server.start()
        # A short warm-up: first requests compile schemas, fill caches, open connections.
        acked = run_wrk(wrk, server, work, args.officers, args.threads, 2).appended
        spy = None
        if args.py_spy:  # where the server's time goes during the appends (collapsed stacks)
            spy = subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", "--nonblocking",
                 "--format", "raw", "-r", "200", "-o", args.py_spy, "--pid",
                 str(server.proc.pid), "--duration", str(round(args.append_duration))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        appends = run_wrk(wrk, server, work, args.officers, args.threads, args.append_duration)
        if spy is not None:
            spy.wait(60)
        acked += appends.appended
        cpu_ms = appends.server_cpu_s * 1000 / max(1, appends.requests - appends.errors)
        print(
            f"  appends: {appends.ok_per_s:.0f}/s, p50 {appends.p50_ms:.1f} ms, "
            f"p99 {appends.p99_ms:.1f} ms, max {appends.max_ms:.0f} ms, errors {appends.errors}, "
            f"server CPU {cpu_ms:.2f} ms/append (load {load()})"
        )
        mixed, uploader = mixed_with_photos(
            wrk, server, work, officers, args.threads, args.duration,
            photos_per_s=max(0.5, appends.ok_per_s * 0.05 / 0.95),
        )  # fmt: skip
        acked += mixed.appended
        photo_max = max(uploader.latencies_ms, default=0.0)
        mixed_max = max(mixed.max_ms, photo_max)
        print(
            f"  mixed: {mixed.ok_per_s:.0f} req/s (appends and reads), {uploader.photos} photos, "
            f"p99 {mixed.p99_ms:.1f} ms, max {mixed.max_ms:.0f} ms, photo requests max "
            f"{photo_max:.0f} ms, errors {mixed.errors + uploader.errors} (load {load()}); "
            f"server peak RSS {server.rss_mb():.0f} MB"
        )
        restarts = [server.restart_after_kill() * 1000 for _ in range(args.restarts)]
        print(
            f"  restart after kill -9 until serving: "
            f"{', '.join(f'{ms:.0f}' for ms in restarts)} ms (load {load()})"
        )
        server.stop()
        lost = acked - database.notes()
        print(f"  {acked} appends acknowledged, {max(0, lost)} of them missing from the log")
        return {
            "appends_per_s": appends.ok_per_s,
            "p99_ms": appends.p99_ms,
            "cpu_ms_per_append": cpu_ms,
            "mixed_max_ms": mixed_max,
            "errors": appends.errors + mixed.errors + uploader.errors,
            "lost": max(0, lost),
            "restart_ms": max(restarts, default=0.0),
        }
    finally:
        tear_down(server, database, work, keep=args.keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--append-duration", type=float, default=15)
    parser.add_argument("--duration", type=float, default=15, help="the mixed run's seconds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="serve another copy of the code (a before)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="`casetrail serve --workers N` (PostgreSQL)"
    )
    parser.add_argument(
        "--restarts", type=int, default=3, help="kill -9 and restart the server this many times"
    )
    parser.add_argument("--py-spy", metavar="FILE", help="profile the appends with py-spy (raw)")
    args = parser.parse_args()
    wrk = need_wrk()
    print(
        f"bench_http: {args.db}, {args.officers} officers, {args.workers} server process(es), "
        f"load {load()}"
    )
    rounds = []
    for i in range(args.rounds):
        print(f"round {i + 1}/{args.rounds}")
        rounds.append(one_round(args, wrk))
    median = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print(
        f"RESULT appends_per_s={median['appends_per_s']:.0f} p99_ms={median['p99_ms']:.1f} "
        f"cpu_ms_per_append={median['cpu_ms_per_append']:.2f} "
        f"mixed_max_ms={median['mixed_max_ms']:.0f} restart_ms={median['restart_ms']:.0f}"
    )


if __name__ == "__main__":
    main()
