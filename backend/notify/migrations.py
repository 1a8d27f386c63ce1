"""Schema steps for push notifications."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.notify.tables import PushSubscription, ReminderSent


async def create_notify_tables(engine: Engine) -> None:
    await PushSubscription.create_table(if_not_exists=True)
    await ReminderSent.create_table(if_not_exists=True)


MIGRATIONS = [("notify.0001_subscriptions", create_notify_tables)]
