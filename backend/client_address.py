"""The client's address for the whole app: the peer itself, or whom a trusted reverse proxy names.

`X-Forwarded-For` is a list anyone can write: a client sends `X-Forwarded-For: 1.2.3.4` and every
proxy appends the address it got the request from. Only entries added by our own proxies can be
believed, so the list is read from the right, skipping our proxies, and the first address that is
not one of them is the client. A peer that is not a configured proxy is the client, whatever it
says. The throttle, sessions and `access.*` entries all read the one address set here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.settings import Network, Settings, parse_networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:51234
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # ::ffff:10.0.0.5 is how a dual-stack socket shows an IPv4 peer.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: object, proxies: tuple[Network, ...]) -> bool:
    return address is not None and any(
        address.version == net.version and address in net  # type: ignore[attr-defined]
        for net in proxies
    )


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: tuple[Network, ...]
) -> str | None:
    """The right-most address in `peer`'s forwarding chain that is not one of our `proxies`."""
    if peer is None or not _trusted(_address(peer), proxies):
        return peer
    chain = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    client = peer
    for hop in reversed(chain):
        address = _address(hop)
        if address is None:
            # Garbage where an address should be: the last proxy we trust is all we know.
            return client
        client = str(address)
        if not _trusted(address, proxies):
            return client
    return client  # every hop was our own proxy: the left-most one is the best we know


def forwarded_client(settings: Settings):
    """ASGI middleware: `scope["client"]` becomes the real client before anything reads it."""
    proxies = parse_networks(",".join(settings.trusted_proxies))

    def middleware(app: ASGIApp) -> ASGIApp:
        async def derive(scope: Scope, receive: Receive, send: Send) -> None:
            peer = scope.get("client")
            if proxies and peer and scope["type"] in ("http", "websocket"):
                forwarded = [
                    value.decode("latin-1")
                    for name, value in scope.get("headers", [])
                    if name.lower() == b"x-forwarded-for"
                ]
                client = client_address(peer[0], forwarded, proxies)
                if client != peer[0]:
                    # In place: the server's access log line reads this same scope.
                    scope["client"] = (client, 0)  # type: ignore[typeddict-item]
            await app(scope, receive, send)

        return derive

    return middleware


def client_ip(request: Request) -> str | None:
    """The client's address as derived above (None when the server knows no peer)."""
    return request.client.host if request.client else None
