"""HTTP routes for push: the VAPID public key, subscribing and unsubscribing a device."""

from __future__ import annotations

import msgspec
from litestar import Request, get, post

from backend.errors import Invalid
from backend.identity.access import principal_of
from backend.notify import sending
from backend.notify.vapid import application_server_key, load_or_create
from backend.settings import Settings


class SubscriptionKeys(msgspec.Struct):
    p256dh: str
    auth: str


class SubscriptionIn(msgspec.Struct):
    endpoint: str
    keys: SubscriptionKeys


class Unsubscribe(msgspec.Struct):
    endpoint: str


@get("/notify/vapid-key", operation_id="vapidKey", opt={"access": "public"}, tags=["notify"])
async def vapid_key(settings: Settings) -> dict[str, str]:
    """The server's VAPID public key for `pushManager.subscribe({applicationServerKey})`."""
    return {"key": application_server_key(load_or_create(settings.keys_dir))}


@post(
    "/notify/subscriptions",
    operation_id="subscribePush",
    opt={"access": "staff"},
    tags=["notify"],
    status_code=201,
)
async def subscribe(request: Request, data: SubscriptionIn) -> dict[str, str]:
    """Keep this device's push subscription for the signed-in staff member."""
    me = principal_of(request)
    if not data.endpoint.startswith(("https://", "http://")):
        raise Invalid("a push endpoint is an http(s) URL", code="bad_endpoint")
    await sending.subscribe(
        endpoint=data.endpoint, p256dh=data.keys.p256dh, auth=data.keys.auth,
        staff_id=me.staff_id, agency_id=me.agency_id, roles=sorted(me.roles),
    )  # fmt: skip
    return {"endpoint": data.endpoint}


@post(
    "/notify/subscriptions/remove",
    operation_id="unsubscribePush",
    opt={"access": "staff"},
    tags=["notify"],
    status_code=200,
)
async def unsubscribe(request: Request, data: Unsubscribe) -> dict[str, bool]:
    await sending.unsubscribe(data.endpoint, principal_of(request).staff_id)
    return {"removed": True}


API_ROUTES = [vapid_key, subscribe, unsubscribe]
