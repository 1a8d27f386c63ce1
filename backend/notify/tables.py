"""Push subscriptions of signed-in devices, and which reminders were already sent."""

from __future__ import annotations

from piccolo.columns import Text, Timestamptz, Varchar
from piccolo.table import Table


class PushSubscription(Table, tablename="notify_subscription"):
    """One browser's Web Push subscription for one staff member (removed when the service says 404/410)."""

    endpoint = Text(unique=True)
    p256dh = Varchar(length=200)
    auth = Varchar(length=100)
    staff_id = Varchar(length=120, index=True)
    agency_id = Varchar(length=80, index=True)
    roles = Text(default="[]")
    created_at = Timestamptz()


class ReminderSent(Table, tablename="notify_reminder_sent"):
    """A time-based reminder already sent, so each fires once per item and threshold."""

    key = Varchar(length=300, unique=True)
    sent_at = Timestamptz()


class LanguagePreference(Table, tablename="notify_language"):
    """The language a staff member reads their notifications in (absent: zh-CN)."""

    staff_id = Varchar(length=120, unique=True)
    language = Varchar(length=10)
    updated_at = Timestamptz()
