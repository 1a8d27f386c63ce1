"""Push subscriptions of signed-in devices, which reminders were already sent, and the deadlines
they remind of."""

from __future__ import annotations

from piccolo.columns import Boolean, Text, Timestamptz, Varchar
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


class PendingDeadline(Table, tablename="notify_deadline"):
    """A deadline the reminders watch: an AV segment's upload or a dossier's archiving (a projection).

    `starts_at` is what the entries say (the segment's end; the latest entry ending the case) and
    `due_at` the deadline the agency's rule pack gave it when projected; the reminder job reads only
    rows whose `due_at` is near and works out each one's deadline again with the pack as it is then.
    """

    key = Varchar(length=200, unique=True)  # "av:<segment entry hash>" or "archive:<case id>"
    kind = Varchar(length=20)  # "av" or "archive"
    case_id = Varchar(length=120, index=True)
    agency_id = Varchar(length=80)
    sha256 = Varchar(length=64, null=True)  # the recording whose upload clears an "av" deadline
    starts_at = Timestamptz(null=True)  # None: the case has not ended (an "archive" row)
    due_at = Timestamptz(null=True)
    done = Boolean(default=False)  # uploaded, archived, or the case closed
    last_reminder = Varchar(length=300)  # the ReminderSent key after which this one says no more
