"""create_app(settings): routes, plugins, lifespan: wiring only."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from litestar import Litestar, MediaType, Request, Response, Router
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from backend.blobstore import BlobStore
from backend.client_address import forwarded_client
from backend.domains import DOMAINS
from backend.errors import CaseTrailError, ErrorBody
from backend.evidence.uploads import UploadStore
from backend.identity.access import access_guard
from backend.identity.authentication import session_authentication
from backend.ledger.ledger import Ledger
from backend.openapi import RefusalResponses
from backend.recordings.import_tokens import IMPORT_TOKENS
from backend.runtime import Runtime, open_runtime
from backend.security_headers import add_security_headers
from backend.settings import Settings
from backend.shell import shell_routes

SHARED_DIR = Path(__file__).resolve().parents[1] / "shared"
log = logging.getLogger("casetrail")


def error_response(request: Request, exc: Exception) -> Response:
    """Every refusal is JSON with a stable code and a human message; never a bare 500."""
    if isinstance(exc, CaseTrailError):
        status, code, message, detail = exc.status, exc.code, exc.message, exc.detail
    elif isinstance(exc, ValidationException):
        status, code, message, detail = 400, "invalid_request", str(exc.detail), exc.extra
    elif isinstance(exc, (OverflowError, asyncpg.DataError)):
        # A value the request carried that the database cannot hold: a number past its integer
        # range, or a NUL character (PostgreSQL text refuses it). The request's fault, so a 400;
        # the statement failed, so nothing was stored. Logged in case a value of ours ever does it.
        log.warning("unstorable value on %s %s: %s", request.method, request.url.path, exc)
        status, code, detail = 400, "unstorable_value", None
        message = "a value in the request is out of range or holds a NUL character"
    elif isinstance(exc, HTTPException):
        status, code, message, detail = (
            exc.status_code,
            f"http_{exc.status_code}",
            str(exc.detail),
            None,
        )
        if status == 413:
            code = "too_large"
    else:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        status, code, message, detail = 500, "internal", "internal error", None
    body = ErrorBody(code=code, message=message, detail=detail or None)
    # A throttled client is told when to come back (RFC 9110 §10.2.3), not left to guess and retry.
    retry_after = getattr(exc, "retry_after_s", 0)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def domain_routes(name: str) -> list:
    """Each domain's declared route modules list handlers in API_ROUTES (under /api) or ROOT_ROUTES."""
    handlers: list = []
    for module in (m for domain in DOMAINS for m in domain.route_modules()):
        handlers.extend(h for h in getattr(module, name, []) if h not in handlers)
    return handlers


def provide_ledger(state: State) -> Ledger:
    return state.ledger


def provide_blobs(state: State) -> BlobStore:
    return state.blobs


def provide_uploads(state: State) -> UploadStore:
    """The one upload store, built with the runtime at start-up."""
    return state.evidence_uploads


def create_app(
    settings: Settings | None = None,
    on_open: Callable[[Runtime], Awaitable[None]] | None = None,
) -> Litestar:
    """The app; `on_open` runs once its runtime is open, before it serves (`casetrail serve`
    prints what `casetrail init` would there, instead of opening the runtime a second time)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
            app.state.ledger = runtime.ledger
            app.state.blobs = runtime.blobs
            app.state.evidence_uploads = runtime.uploads
            if on_open is not None:
                await on_open(runtime)
            yield

    api = Router(path="/api", route_handlers=domain_routes("API_ROUTES"))
    handlers: list = [
        api,
        *domain_routes("ROOT_ROUTES"),
        create_static_files_router(
            path="/shared",
            directories=[SHARED_DIR],
            opt={"access": "public"},
            include_in_schema=False,
        ),
    ]
    if settings.pwa_dir.is_dir():
        handlers.extend(shell_routes(settings.pwa_dir, SHARED_DIR))
        # The officer app's page is the shell's (rendered); the other pages keep their own index.html.
        handlers += [
            create_static_files_router(
                path=path,
                directories=[settings.pwa_dir / path.strip("/")],
                html_mode=html_mode,
                opt={"access": "public"},
                include_in_schema=False,
                name=f"pwa{path.replace('/', '-')}",
            )
            for path, html_mode in (
                ("/party", True),
                ("/notices", True),
                ("/verify", True),
                ("/", False),
            )
        ]
    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        guards=[access_guard],
        # The client address is settled first: everything after it reads the one derived address.
        # One authentication for every route: the session cookie, else a bearer token of a scheme
        # listed here (each scheme limits the paths its tokens reach).
        middleware=[
            forwarded_client(settings),
            session_authentication(settings, bearer=[IMPORT_TOKENS]),
        ],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "ledger": Provide(provide_ledger, sync_to_thread=False),
            "blobs": Provide(provide_blobs, sync_to_thread=False),
            "uploads": Provide(provide_uploads, sync_to_thread=False),
        },
        exception_handlers={Exception: error_response},
        before_send=[add_security_headers],
        plugins=[RefusalResponses()],
        openapi_config=OpenAPIConfig(
            title="CaseTrail",
            version="0.1.0",
            path="/schema",
            # The API description is public; the access guard reads this router's opt.
            openapi_router=Router(path="/schema", route_handlers=[], opt={"access": "public"}),
        ),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        request_max_body_size=settings.max_json_bytes,
        state=State({"settings": settings}),
    )
