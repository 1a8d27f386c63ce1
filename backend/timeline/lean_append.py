"""The append route's lean path: the one request every capture makes, without the framework's
per-request machinery.

Every step, photo finding and signature an officer records is one `POST /api/cases/{id}/entries`,
so this route carries most of a server's requests. Profiled under load, Litestar spent about as much
of the event loop on such a request (building the request and its dependencies, a copy of the
handler per guard call, the signature model, the response object and compression wrapper) as
CaseTrail spent on the append itself. This middleware sits on that one handler, after the client
address and the session are settled, and answers an ordinary request itself with the same access
guard, the same checks (`append_to_timeline`) and the framework's own JSON encoder. A body that
does not decode as an `AppendRequest`, or one over the size limit, goes on to the route with the
bytes already read, so every such refusal is worded by the framework as before; refusals raised
by the checks reach the app's error handler as the route's would. The answer is not compressed: it is
a kilobyte or two.
"""

from __future__ import annotations

import msgspec
from litestar import Request
from litestar.serialization import encode_json
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.identity.access import access_guard
from backend.ledger.schemas import AppendRequest
from backend.timeline.appending import append_to_timeline

_DECODE = msgspec.json.Decoder(AppendRequest).decode


def _replaying(first: Message, receive: Receive) -> Receive:
    """`receive` for the route: what was read already first, then whatever is still to come."""
    pending = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def _body(chunks: list[bytes], more_body: bool) -> Message:
    return {"type": "http.request", "body": b"".join(chunks), "more_body": more_body}


def lean_append(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        # The guard first, as the route runs it: a caller it refuses never gets the body read.
        request: Request = Request(scope, receive, send)
        await access_guard(request, scope["route_handler"])
        limit = scope["litestar_app"].request_max_body_size
        chunks: list[bytes] = []
        size, more_body = 0, True
        while more_body and size <= limit:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: the route says so
                return await app(scope, _replaying(message, receive), send)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more_body = message.get("more_body", False)
        if more_body or size > limit:
            return await app(scope, _replaying(_body(chunks, more_body), receive), send)
        try:
            data = _DECODE(b"".join(chunks))
        except msgspec.MsgspecError:
            return await app(scope, _replaying(_body(chunks, False), receive), send)
        ledger = request.app.state.ledger
        body = encode_json(
            await append_to_timeline(request, scope["path_params"]["case_id"], data, ledger)
        )
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return middleware
