"""The refusals the OpenAPI description promises: one error shape, and per operation the answers
its access rule and inputs can give.

Handlers declare only their success answer and, rarely, an odd one of their own (`responses=`).
Everything a route can refuse follows from what the app already knows about it, so it is written
once here instead of on a hundred handlers:

- every route that takes input (path, query, headers it declares, body) or changes state: 400;
- a path that names something: 404 (no such case, entry, blob, invitation ...);
- every route but ``public`` ones: 401 (not signed in) and 403 (role, agency, membership, CSRF);
- state-changing routes: 404 (the body names an entry, blob, draw ... that is not there), 409 (the
  ledger or a projection already says otherwise) and 413;
- routes marked ``throttled`` in `opt` (the party's, sign-in's): 429; ``link_token`` (a party's or an
  invitation's token in a header): 404 for a link that never was, 410 for a used or expired one;
- routes marked ``tus`` in `opt` (uploads): 412 for a wrong Tus-Resumable and tus' own answers.
"""

from __future__ import annotations

from litestar import Response
from litestar.constants import RESERVED_KWARGS
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.response import File, Stream
from litestar.routes import BaseRoute, HTTPRoute

from backend.errors import ErrorBody

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

DESCRIPTIONS: dict[int, str] = {
    400: "The request is malformed or breaks a rule; nothing was changed.",
    401: "Not signed in (or the session ended).",
    403: "Signed in, but not allowed: role, agency, case membership or CSRF token.",
    404: "What the path names does not exist, or is not visible to the caller.",
    408: "No byte came for too long; what arrived is kept (ask where it stands and go on).",
    409: "It conflicts with what is already recorded.",
    410: "It existed but is used, cancelled or expired.",
    412: "The client speaks another tus version.",
    413: "The body is larger than this route accepts.",
    415: "The body's media type is not accepted here.",
    416: "The Range asked for lies outside the file.",
    423: "Another request is writing this upload right now; ask where it stands and go on.",
    429: "Too many requests from this address; the Retry-After header says in how many seconds to try again.",
}


def _takes_input(handler: HTTPRouteHandler, route: HTTPRoute) -> bool:
    if route.path_parameters:
        return True
    dependencies = handler.resolve_dependencies()
    return any(
        name == "data" or (name not in RESERVED_KWARGS and name not in dependencies)
        for name in handler.parsed_fn_signature.parameters
    )


def refusal_statuses(handler: HTTPRouteHandler, route: HTTPRoute) -> set[int]:
    """The error statuses an operation can answer, from its access rule, inputs and markers."""
    opt = handler.opt
    changes_state = not (handler.http_methods <= SAFE_METHODS)
    statuses: set[int] = set()
    if changes_state or _takes_input(handler, route):
        statuses.add(400)
    if route.path_parameters:
        statuses.add(404)
    rule = str(opt.get("access", ""))
    if rule != "public":
        statuses |= {401, 403}
    if rule.startswith(("case:", "entry:")):
        statuses.add(404)
    if changes_state:  # a body names things too (entries, blobs, draws, staff): 404
        statuses |= {404, 409, 413}
    if opt.get("throttled"):
        statuses.add(429)
    if opt.get("link_token"):
        statuses |= {404, 410}
    if opt.get("tus"):
        statuses |= {404, 408, 409, 412, 413, 415, 423}
    return statuses


def error_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=ErrorBody,
        description=DESCRIPTIONS.get(status, "Refused."),
        generate_examples=False,
    )


def file_response(description: str = "The file's bytes, in its own media type.") -> ResponseSpec:
    return ResponseSpec(
        data_container=bytes, description=description, media_type="*/*", generate_examples=False
    )


# A blob route that honours Range (see readBlob).
RANGE_RESPONSES: dict[int, ResponseSpec] = {
    206: file_response("The requested byte range (Content-Range says which)."),
    416: error_response(416),
}


def success_response(handler: HTTPRouteHandler) -> ResponseSpec | None:
    """The success answer, where Litestar's own guess (JSON of the return type) is wrong.

    A `Response[None]` or a 204 has no body at all. A `Stream` or `File` sends the file's own type
    (photo, PDF, ZIP ...), and so may a bare `Response`, whose handler picks the media type as it
    answers: those are documented as any media type, not as JSON. Type the answer
    (`Response[Model]`) to have its body described and checked.
    """
    returns = handler.parsed_fn_signature.return_type
    inner = returns.inner_types[0].annotation if returns.inner_types else None
    if handler.status_code == 204 or returns.is_none_type or inner is type(None):
        return ResponseSpec(data_container=None, description="Done; no body.")
    if returns.is_subclass_of((Stream, File)) or returns.annotation is Response:
        return file_response()
    return None


class RefusalResponses(ReceiveRoutePlugin):
    """Adds the error (and bodiless or binary success) answers to each operation as the app registers its route.

    Litestar registers a copy of each handler per app, so a new `responses` dict here never leaks
    into another app built from the same handlers. A handler's own `responses` win.
    """

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            derived = {s: error_response(s) for s in sorted(refusal_statuses(handler, route))}
            if (success := success_response(handler)) is not None:
                derived[handler.status_code] = success
            handler.responses = {**derived, **(handler.responses or {})}
