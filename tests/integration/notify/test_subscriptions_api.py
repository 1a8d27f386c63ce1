"""A signed-in device subscribes to push through the API; the VAPID key is public and stable."""

from __future__ import annotations

from backend.notify.tables import PushSubscription
from tests.integration.conftest import signed_in


async def test_a_signed_in_officer_subscribes_and_unsubscribes_a_device(app_client):
    key = (await app_client.get("/api/notify/vapid-key")).json()["key"]
    assert key == (await app_client.get("/api/notify/vapid-key")).json()["key"]
    assert len(key) == 87  # 65-byte uncompressed P-256 point, base64url without padding
    me = await signed_in(app_client, "officer", "pingluo-transport")
    sub = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "BNc", "auth": "x"}}
    made = await app_client.post("/api/notify/subscriptions", json=sub, headers=me)
    assert made.status_code == 201, made.text
    rows = await PushSubscription.select()
    assert [(r["staff_id"], r["agency_id"]) for r in rows] == [(me.staff_id, "pingluo-transport")]
    gone = await app_client.post(
        "/api/notify/subscriptions/remove", json={"endpoint": sub["endpoint"]}, headers=me
    )
    assert gone.status_code == 200
    assert await PushSubscription.select() == []


async def test_a_subscription_without_signing_in_is_refused(app_client):
    response = await app_client.post(
        "/api/notify/subscriptions",
        json={"endpoint": "https://push.example/x", "keys": {"p256dh": "a", "auth": "b"}},
    )
    assert response.status_code in (401, 403)
    assert await PushSubscription.select() == []
