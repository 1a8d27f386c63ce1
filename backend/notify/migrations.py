"""Schema steps for push notifications."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.notify.tables import LanguagePreference, PushSubscription, ReminderSent


async def create_notify_tables(engine: Engine) -> None:
    await PushSubscription.create_table(if_not_exists=True)
    await ReminderSent.create_table(if_not_exists=True)


async def create_language_preferences(engine: Engine) -> None:
    """Notifications in the reader's language: one preference per staff member."""
    await LanguagePreference.create_table(if_not_exists=True)


MIGRATIONS = [
    ("notify.0001_subscriptions", create_notify_tables),
    ("notify.0002_language_preferences", create_language_preferences),
]
