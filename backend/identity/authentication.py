"""The one ASGI middleware that turns a caller's credentials into `scope["user"]` (a Principal).

A session cookie first; where none signs the caller in, an `Authorization: Bearer` token of a
scheme the wiring registered (recordings' import tokens). Each scheme decides which paths its
tokens reach. `scope["auth"]` says how the caller signed in: the session (with its CSRF token) or
a `TokenAuth` naming the scheme (no ambient credential, so no CSRF check).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from litestar._parsers import parse_cookie_string  # what ASGIConnection.cookies uses
from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.identity.access import Principal
from backend.identity.sessions import SESSION_COOKIE, session_principal
from backend.settings import Settings


@dataclass(frozen=True)
class BearerScheme:
    """A kind of bearer token: `principal(token, path)` is its holder where the token reaches."""

    name: str
    principal: Callable[[str, str], Awaitable[Principal | None]]


@dataclass(frozen=True)
class TokenAuth:
    """What the middleware puts in scope["auth"] for a caller signed in by a bearer token."""

    scheme: str


def signed_in_by(connection: ASGIConnection, scheme: str) -> bool:
    """Whether the caller of this request signed in with a token of `scheme` (not a session)."""
    auth = connection.scope.get("auth")
    return isinstance(auth, TokenAuth) and auth.scheme == scheme


def bearer_token(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if kind.lower() == "bearer" else None
    return None


def cookie_value(scope: Scope, name: str) -> str | None:
    """A cookie of the request, parsed by Litestar's own (cached) cookie parser. Read straight from
    the headers: building a connection object to ask it cost ~4% of an append's CPU."""
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            return parse_cookie_string(value.decode("latin-1")).get(name) or None
    return None


def session_authentication(settings: Settings, bearer: Sequence[BearerScheme] = ()):
    """Middleware factory: unknown, ended or forged credentials leave the caller anonymous (the guard refuses)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def authenticate(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in ("http", "websocket"):
                scope.setdefault("user", None)  # type: ignore[typeddict-item]
                scope.setdefault("auth", None)  # type: ignore[typeddict-item]
                token = cookie_value(scope, SESSION_COOKIE)
                if token:
                    found = await session_principal(token, settings)
                    if found is not None:
                        scope["user"], scope["auth"] = found  # type: ignore[typeddict-unknown-key]
                if bearer and scope["type"] == "http" and not isinstance(scope["user"], Principal):
                    await _bearer(scope)
            await app(scope, receive, send)

        async def _bearer(scope: Scope) -> None:
            token = bearer_token(scope)
            if not token:
                return
            for scheme in bearer:
                principal = await scheme.principal(token, scope["path"])
                if principal is not None:
                    scope["user"] = principal
                    scope["auth"] = TokenAuth(scheme.name)  # type: ignore[typeddict-unknown-key]
                    return

        return authenticate

    return middleware
