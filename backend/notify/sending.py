"""Sending Web Push messages (RFC 8291 aes128gcm, VAPID) with pywebpush; dead subscriptions are removed."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from py_vapid import Vapid02

from backend.notify.languages import languages_of
from backend.notify.tables import PushSubscription
from backend.notify.vapid import load_or_create

log = logging.getLogger("casetrail.notify")
GONE = (404, 410)


@dataclass(frozen=True)
class Message:
    """What the service worker shows; `url` is the PWA route the click opens.

    `title`/`body` are Chinese; `title_en`/`body_en` are what a reader who chose English sees.
    """

    title: str
    body: str
    url: str
    tag: str | None = None
    title_en: str | None = None
    body_en: str | None = None

    def in_language(self, language: str) -> Message:
        """The message as one reader sees it (Chinese when no English text was written)."""
        if language != "en" or not self.title_en:
            return replace(self, title_en=None, body_en=None)
        return Message(self.title_en, self.body_en or self.body, self.url, self.tag)

    def json(self) -> str:
        data = {"title": self.title, "body": self.body, "url": self.url}
        if self.tag:
            data["tag"] = self.tag
        return json.dumps(data, ensure_ascii=False)


class Pusher:
    """Sends to stored subscriptions with the server's VAPID key."""

    def __init__(self, keys_dir: Path, contact: str = "mailto:admin@casetrail.local") -> None:
        self.keys_dir = Path(keys_dir)
        self.contact = contact
        self._key: Vapid02 | None = None

    @property
    def key(self) -> Vapid02:
        if self._key is None:
            self._key = load_or_create(self.keys_dir)
        return self._key

    def _send(self, row: dict[str, Any], message: Message) -> int:
        # pywebpush (and the aiohttp it brings) is imported on the first push, not at start-up.
        from pywebpush import WebPushException, webpush

        info = {"endpoint": row["endpoint"], "keys": {"p256dh": row["p256dh"], "auth": row["auth"]}}
        try:
            response = webpush(
                info,
                message.json(),
                vapid_private_key=self.key,
                vapid_claims={"sub": self.contact},
                ttl=24 * 3600,
                timeout=10,
            )
        except WebPushException as failed:
            return failed.response.status_code if failed.response is not None else 0
        return getattr(response, "status_code", 201)

    async def send(self, row: dict[str, Any], message: Message) -> int:
        """Send one message; a 404/410 means the subscription is gone for good, so forget it."""
        status = await asyncio.to_thread(self._send, row, message)
        if status in GONE:
            await PushSubscription.delete().where(PushSubscription.endpoint == row["endpoint"])
        elif not 200 <= status < 300:
            log.warning("push to %s… answered %s", row["endpoint"][:40], status)
        return status

    async def send_to(self, rows: list[dict[str, Any]], message: Message) -> dict[str, int]:
        """Send to each subscription in its owner's language (every push passes here)."""
        languages = await languages_of(row["staff_id"] for row in rows)
        return {
            row["endpoint"]: await self.send(row, message.in_language(languages[row["staff_id"]]))
            for row in rows
        }


async def subscribe(
    *, endpoint: str, p256dh: str, auth: str, staff_id: str, agency_id: str, roles: list[str]
) -> None:
    """Store (or refresh) a device's subscription for the signed-in staff member."""
    await PushSubscription.delete().where(PushSubscription.endpoint == endpoint)
    await PushSubscription.insert(
        PushSubscription(
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            staff_id=staff_id,
            agency_id=agency_id,
            roles=json.dumps(sorted(roles)),
            created_at=datetime.now(UTC),
        )
    )


async def unsubscribe(endpoint: str, staff_id: str) -> None:
    await PushSubscription.delete().where(
        (PushSubscription.endpoint == endpoint) & (PushSubscription.staff_id == staff_id)
    )
