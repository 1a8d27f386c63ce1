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
