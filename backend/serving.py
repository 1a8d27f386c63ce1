"""How `casetrail serve` runs the app: uvicorn under the connection limits of `http_limits`, with
its log lines written off the event loop and glibc told to keep the buffers uploads pass through.

`python -m backend.serving --port N` serves the same way without `casetrail init` (the browser
tests start the server so); `server_config` is the one place uvicorn's configuration is made.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import logging
import os
import queue
import signal
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from logging.handlers import QueueHandler, QueueListener
from typing import Any

import uvicorn

from backend.http_limits import limited_protocol
from backend.settings import ConnectionLimits, Settings


def server_config(
    app: Any,
    host: str,
    port: int,
    limits: ConnectionLimits,
    log_level: str = "info",
    access_log: bool = False,
) -> uvicorn.Config:
    """uvicorn's configuration for `app` (an ASGI app, or the factory's import string).

    uvicorn's access log is off unless asked for: the audit record of who read or wrote what is
    the log's own entries, and a line per request cost about 4% of the server's CPU per append.
    The protocol is uvicorn's httptools one (`limited_protocol` subclasses it) and the event
    loop uvloop ("auto" picks it when installed, as it is with uvicorn[standard]).
    """
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        loop="auto",
        http=limited_protocol(limits),
        # uvicorn would believe X-Forwarded-For from any loopback peer; the app believes it only
        # from CASETRAIL_TRUSTED_PROXIES (backend/client_address.py).
        proxy_headers=False,
    )


def run(
    host: str,
    port: int,
    limits: ConnectionLimits | None = None,
    log_level: str = "info",
    workers: int = 1,
    access_log: bool = False,
    app: Any = "backend.app:create_app",
) -> None:
    """Serve `app` (by default `backend.app:create_app`) until interrupted (Ctrl-C or SIGTERM).

    `workers` > 1 (PostgreSQL only; `casetrail serve` refuses it on SQLite) forks that many
    server processes sharing one listening socket; each opens its own app, database pool and
    ledger, exactly as servers on other machines would.
    """
    reuse_freed_memory()
    limits = limits or Settings.from_env().connection_limits
    config = server_config(app, host, port, limits, log_level, access_log)
    if workers > 1:
        _run_workers(config, workers)
        return
    _serve(config)


def _serve(config: uvicorn.Config, sockets: list[socket.socket] | None = None) -> None:
    # After a graceful stop uvicorn raises the SIGTERM it caught again, for whatever handler was
    # there before it: this one lets the log writers finish instead of dying with lines queued.
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        with server_logs(config):
            _Server(config).run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


# Collect cyclic garbage after 10,000 net new container objects, not 700. An append makes thousands
# of short-lived objects that reference counting frees; at the default the collector ran every few
# appends and, every few seconds, walked all ~150,000 long-lived objects of the server (tens of ms
# of the event loop each time, hundreds under load: the slowest appends).
GC_THRESHOLDS = (10_000, 10, 10)
# The ledger's SQLite connection and its promise signer are threads that need the GIL back after
# every statement or signature; with the event loop busy they waited up to CPython's default 5 ms
# each time, so a batch's commit took several such waits and every caller in it waited for them.
SWITCH_INTERVAL_S = 0.001


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        gc.set_threshold(*GC_THRESHOLDS)
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        await super().startup(sockets)
        # What start-up made (modules, schemas, rule packs, caches) lives as long as the process:
        # out of the collector's sight, a full collection walks only what serving made since.
        gc.freeze()


def _run_workers(config: uvicorn.Config, workers: int) -> None:
    """Fork `workers` servers on one socket; replace one that dies until told to stop.

    Forked before this process runs an event loop (`casetrail init`'s has closed by then), so each
    child starts clean and opens its own app, pool and ledger.
    A child that dies (a crash, kill -9) loses nothing acknowledged: every answer waited for its
    commit. The parent forwards SIGTERM and Ctrl-C to the children and waits for them.
    """
    listening = config.bind_socket()
    parent = os.getpid()
    children: set[int] = set()
    stopping = False

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the child: serve until told to stop, never return into the parent's code
            status = 0
            try:
                # The parent's handlers came along with the fork: a SIGTERM now must stop this
                # worker, not make it signal the siblings it remembers.
                signal.signal(signal.SIGTERM, _exit)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                _die_with_parent(parent)
                _serve(config, [listening])
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:
                logging.getLogger("casetrail").exception("server worker failed")
                status = 1
            finally:
                os._exit(status)
        children.add(pid)

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(workers):
            spawn()
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            children.discard(pid)
            if not stopping:
                logging.getLogger("casetrail").warning(
                    "server worker %s ended (status %s); starting another", pid, status
                )
                time.sleep(0.5)  # a worker that cannot start (database down) must not spin
                if not stopping:  # told to stop during the pause: start nothing new
                    spawn()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        listening.close()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to stop this worker (SIGTERM) if the parent dies, even by kill -9: orphaned
    workers would keep the port and serve on with nobody supervising them."""
    libc = ctypes.CDLL(None)
    if hasattr(libc, "prctl"):
        pr_set_pdeathsig = 1  # from linux/prctl.h
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request took effect
        raise SystemExit(0)


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def server_logs(config: uvicorn.Config) -> Iterator[None]:
    """uvicorn's log lines written by threads; its line per request only when asked for.

    uvicorn configured its loggers when the config was made. Its protocol writes the access line
    whenever the "uvicorn.access" logger has a handler, so without `access_log` that logger must
    stay without one (a handler that only queued the line still cost ~5% of an append's CPU).
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(log_off_the_loop("uvicorn"))
        if config.access_log:
            stack.enter_context(log_off_the_loop("uvicorn.access"))
        yield


@contextmanager
def log_off_the_loop(name: str) -> Iterator[None]:
    """Hand the logger's records to a thread that writes them with the logger's own handlers.

    uvicorn writes a line per request from the event loop. To a file on a disk busy with the
    fsyncs of uploads, a write waits for the filesystem's journal, and every request waits
    behind it (an eighth of the photo ingest rate in the benchmark). On exit the queue is
    drained and the handlers are the logger's again.
    """
    logger = logging.getLogger(name)
    handlers = list(logger.handlers)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    writer = QueueListener(records, *handlers, respect_handler_level=True)
    logger.handlers = [_Unformatted(records)]
    writer.start()
    try:
        yield
    finally:
        writer.stop()
        logger.handlers = handlers


class _Unformatted(QueueHandler):
    """Queues the record as it is: uvicorn's access formatter needs its arguments, not a string."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def reuse_freed_memory() -> None:
    """Let glibc keep freed buffers for reuse instead of handing them back to the kernel, in
    few enough places that what one thread freed serves the next.

    An upload arrives in 256 KB pieces, each copied twice by the HTTP server. By default glibc
    maps buffers that large fresh from the kernel and unmaps them when freed, so every piece paid
    for page faults and zeroed pages again: several milliseconds of CPU per photo. But the kept
    memory is kept per arena, and glibc gives each new thread an arena of its own (up to 16 on
    two cores): every SQLite connection's thread left its ~2 MB page cache behind when it closed,
    a few megabytes more per burst of uploads. Two arenas keep the reuse (as many page faults
    as with one per thread) and bound what is kept. Does nothing where the C library is not glibc.
    """
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallopt"):
        return
    m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8  # from glibc's malloc.h
    libc.mallopt(m_mmap_threshold, 4 << 20)
    libc.mallopt(m_trim_threshold, 64 << 20)
    libc.mallopt(m_arena_max, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description="serve CaseTrail as `casetrail serve` does")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--access-log", action="store_true", help="uvicorn's line per request")
    args = parser.parse_args()
    run(
        args.host,
        args.port,
        log_level=args.log_level,
        workers=args.workers,
        access_log=args.access_log,
    )


if __name__ == "__main__":
    main()
