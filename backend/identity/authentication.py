"""ASGI middleware that turns the session cookie into `scope["user"]` (a Principal) for the guard."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar.types import ASGIApp, Receive, Scope, Send

from backend.identity.sessions import SESSION_COOKIE, session_principal
from backend.settings import Settings


def cookie_value(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is simply no session
                return None
            if name in jar:
                return jar[name].value
    return None


def session_authentication(settings: Settings):
    """Middleware factory: unknown, ended or forged cookies leave the caller anonymous (the guard refuses)."""

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
            await app(scope, receive, send)

        return authenticate

    return middleware
