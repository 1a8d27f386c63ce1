"""Connection limits uvicorn lacks: a header timeout, a minimum body rate, connections per address.

Without them a client that sends a header line every few seconds, or a byte of a body declared as
2 GB every twenty, holds its connection (and a file descriptor, and maybe an upload's lock) for
good; eighty such clients are enough to run a small server out of descriptors. uvicorn times out
only idle keep-alive connections, so `limited_protocol` subclasses its httptools protocol:

- a request whose headers are not complete `header_timeout_s` after the connection opened (or,
  on a kept-alive connection, after its first byte) is answered 408 and closed;
- a request body arriving slower than `min_body_rate` bytes a second, measured over windows of
  `body_window_s`, is answered 408 (when no answer has started) and closed; the app sees the
  client disconnect, as when a phone loses its signal (a tus upload keeps what arrived). A window
  in which the app itself stopped reading (uvicorn pauses the socket while 64 KB wait unread) is
  not held against the client;
- a connection beyond `max_per_client` open ones from one peer address is answered 429 and
  closed at once. The peer is the socket's: our own reverse proxies (`limits.uncapped`, the
  trusted proxies) carry everyone's connections and are never capped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections import Counter
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from backend.settings import ConnectionLimits


def limited_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol under `limits`, for `uvicorn.Config(http=...)`.

    Each call makes a class of its own, so one server's count of open connections per address
    is not another's (tests run several servers in one process).
    """
    uncapped = tuple(ipaddress.ip_network(n) for n in limits.uncapped)
    return type(
        "LimitedHttpToolsProtocol",
        (LimitedHttpToolsProtocol,),
        {"limits": limits, "open_per_host": Counter(), "uncapped": uncapped},
    )


def _among(host: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address.version == n.version and address in n for n in networks)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    limits: ConnectionLimits
    open_per_host: Counter[str]
    uncapped: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._counted_host: str | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._request_begun = False
        self._body_done = True
        self._body_bytes = 0  # body bytes in the current window
        self._reading_paused = False  # whether the app stopped reading during the window

    # -- connections per address ------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        host = self.client[0] if self.client else None
        cap = self.limits.max_per_client
        if host is not None and self.uncapped and _among(host, self.uncapped):
            cap = 0
        if host is not None and cap and self.open_per_host[host] >= cap:
            self._refuse(
                429, "too_many_connections", f"more than {cap} connections from one address"
            )
            return
        if host is not None:
            self.open_per_host[host] += 1
            self._counted_host = host
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._counted_host is not None:
            self.open_per_host[self._counted_host] -= 1
            if self.open_per_host[self._counted_host] <= 0:
                del self.open_per_host[self._counted_host]
            self._counted_host = None
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    # -- header timeout -----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Clocks only for a request these bytes left unfinished: most requests arrive whole in one
        # read, and arming and cancelling two timers for each cost ~3% of an append's CPU.
        if self.transport.is_closing():
            return
        if self._request_begun:  # a kept-alive connection's next request starts its own clock
            self._arm_header_timer()
        elif not self._body_done and self._body_timer is None:
            self._body_timer = self.loop.call_later(
                self.limits.body_window_s, self._check_body_rate
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_begun = True

    def on_headers_complete(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        self._request_begun = False
        super().on_headers_complete()
        if self.parser.should_upgrade():
            return  # a WebSocket is not a request body
        self._body_done, self._body_bytes, self._reading_paused = False, 0, False

    def _arm_header_timer(self) -> None:
        if self._header_timer is None and self.limits.header_timeout_s:
            self._header_timer = self.loop.call_later(
                self.limits.header_timeout_s, self._headers_too_slow
            )

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if not self._request_begun:  # never sent a byte: nothing to answer
            self.transport.close()
            return
        self._refuse(408, "request_timeout", "the request headers did not arrive in time")

    # -- minimum body rate ------------------------------------------------------------------

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)
        self._reading_paused |= self.flow.read_paused

    def on_message_complete(self) -> None:
        self._body_done = True
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    def _check_body_rate(self) -> None:
        self._body_timer = None
        if self._body_done or self.transport.is_closing():
            return
        window = self.limits.body_window_s
        excused = self._reading_paused or self.flow.read_paused
        if not excused and self._body_bytes < self.limits.min_body_rate * window:
            if self.cycle is not None and self.cycle.response_complete:
                # Answered without reading the body, which still trickles in: nothing to say.
                self.transport.close()
                return
            self._refuse(
                408,
                "request_timeout",
                f"the request body arrived slower than {self.limits.min_body_rate} bytes a second",
            )
            return
        self._body_bytes, self._reading_paused = 0, False
        self._body_timer = self.loop.call_later(window, self._check_body_rate)

    # -- answering ----------------------------------------------------------------------------

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer with CaseTrail's error shape, unless an answer has begun, and close."""
        cycle = self.cycle
        answering = cycle is not None and not cycle.response_complete
        if answering:
            # The app's next receive() reads a disconnect, and whatever it sends is dropped.
            cycle.disconnected = True
            cycle.message_event.set()
        if not (answering and cycle.response_started):
            body = json.dumps({"code": code, "message": message, "detail": None}).encode()
            reason = {408: b"Request Timeout", 429: b"Too Many Requests"}[status]
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                b"connection: close\r\n\r\n%s" % (status, reason, len(body), body)
            )
        self.transport.close()
