"""The server's own log lines are written by a thread, formatted exactly as uvicorn formats them."""

from __future__ import annotations

import io
import logging
import threading

from uvicorn.logging import AccessFormatter

from backend.serving import log_off_the_loop


def test_an_access_line_is_written_off_the_calling_thread_and_formatted_in_full():
    out = io.StringIO()
    written_by: list[str] = []

    class Recording(logging.StreamHandler):
        def emit(self, record: logging.LogRecord) -> None:
            written_by.append(threading.current_thread().name)
            super().emit(record)

    handler = Recording(out)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
    logger = logging.getLogger("test.serving.access")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)

    with log_off_the_loop("test.serving.access"):
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", "/api/uploads", "1.1", 201)
    # Leaving drained the queue and gave the logger its handler back.
    assert logger.handlers == [handler]

    assert out.getvalue() == '127.0.0.1:5000 - "POST /api/uploads HTTP/1.1" 201 Created\n'
    assert written_by and threading.main_thread().name not in written_by


def test_the_server_logs_no_line_per_request_unless_asked_and_runs_on_httptools_and_uvloop():
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from backend.serving import server_config, server_logs
    from backend.settings import Settings

    limits = Settings.from_env().connection_limits
    quiet = server_config("backend.app:create_app", "127.0.0.1", 0, limits)
    assert quiet.access_log is False
    assert issubclass(quiet.http, HttpToolsProtocol)
    import uvloop

    loop = quiet.get_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    # uvicorn's protocol writes its line whenever the access logger has a handler.
    with server_logs(quiet):
        assert not logging.getLogger("uvicorn.access").hasHandlers()
    logged = server_config("backend.app:create_app", "127.0.0.1", 0, limits, access_log=True)
    with server_logs(logged):
        assert logging.getLogger("uvicorn.access").hasHandlers()


async def test_a_started_server_collects_garbage_rarely_and_never_walks_what_start_up_made():
    import gc
    import sys

    import uvicorn

    from backend.serving import GC_THRESHOLDS, SWITCH_INTERVAL_S, _Server

    made_at_start_up: list[object] = []

    async def app(scope, receive, send):  # an app whose start-up leaves objects behind
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                made_at_start_up.append({"rule pack": [message]})
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})

    before, switch = gc.get_threshold(), sys.getswitchinterval()
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    config.load()
    server = _Server(config)
    server.lifespan = config.lifespan_class(config)  # as uvicorn's serve() sets it up
    try:
        await server.startup()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S  # threads get the GIL back sooner
        assert made_at_start_up and gc.get_freeze_count() > 0
        assert not any(o is made_at_start_up[0] for o in gc.get_objects())  # frozen: not walked
        await server.shutdown()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        sys.setswitchinterval(switch)
