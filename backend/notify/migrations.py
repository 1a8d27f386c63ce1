"""Schema steps for push notifications."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.notify.tables import (
    LanguagePreference,
    PendingDeadline,
    PushSubscription,
    ReminderSent,
)


async def create_notify_tables(engine: Engine) -> None:
    await PushSubscription.create_table(if_not_exists=True)
    await ReminderSent.create_table(if_not_exists=True)


async def create_language_preferences(engine: Engine) -> None:
    """Notifications in the reader's language: one preference per staff member."""
    await LanguagePreference.create_table(if_not_exists=True)


async def create_pending_deadlines(engine: Engine) -> None:
    """The reminders' deadlines as a projection; start-up replays the log into it."""
    await PendingDeadline.create_table(if_not_exists=True)
    # The reminder job's one read: the open deadlines of one kind falling due before a moment.
    await engine.run_ddl(
        "CREATE INDEX IF NOT EXISTS notify_deadline_due ON notify_deadline (done, kind, due_at)"
    )


MIGRATIONS = [
    ("notify.0001_subscriptions", create_notify_tables),
    ("notify.0002_language_preferences", create_language_preferences),
    ("notify.0003_pending_deadlines", create_pending_deadlines),
]
