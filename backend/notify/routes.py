"""HTTP routes for push: the VAPID public key, subscribing and unsubscribing a device."""

from __future__ import annotations

import msgspec
from litestar import Request, get, post, put

from backend.errors import Invalid
from backend.identity.access import principal_of
from backend.notify import languages, sending
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


class LanguageChoice(msgspec.Struct, forbid_unknown_fields=True):
    language: str


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


@get(
    "/notify/language",
    operation_id="notificationLanguage",
    opt={"access": "staff"},
    tags=["notify"],
)
async def read_language(request: Request) -> LanguageChoice:
    """The language the signed-in staff member's notifications are written in (zh-CN unless chosen)."""
    return LanguageChoice(await languages.language_of(principal_of(request).staff_id))


@put(
    "/notify/language",
    operation_id="setNotificationLanguage",
    opt={"access": "staff"},
    tags=["notify"],
)
async def choose_language(request: Request, data: LanguageChoice) -> LanguageChoice:
    """Write the signed-in staff member's notifications in `zh-CN` or `en` from now on."""
    staff_id = principal_of(request).staff_id
    return LanguageChoice(await languages.set_language(staff_id, data.language))


API_ROUTES = [vapid_key, subscribe, unsubscribe, read_language, choose_language]
