"""Notify's start-up and periodic work: the ledger listener, and deadline reminders every 10 minutes."""

from __future__ import annotations

from typing import Any

from backend.jobs import Job
from backend.notify.projection import deadline_rules, redate_open_deadlines
from backend.notify.recipients import Notifier, deadline_reminders
from backend.notify.sending import Pusher

REMINDER_INTERVAL_S = 600


def jobs(runtime: Any) -> list[Job]:
    pusher = Pusher(runtime.settings.keys_dir)
    notifier = Notifier(runtime.ledger, pusher)
    runtime.ledger.on_append(notifier.on_entries)

    rules_seen: list[dict[str, Any]] = []

    async def remind() -> None:
        # Stored deadlines are the packs' when projected: after a start or a pack edit, re-date the
        # open ones before reading those due (off the start-up path: it loads and checks the packs).
        rules = deadline_rules()
        if rules_seen != [rules]:
            await redate_open_deadlines()
            rules_seen[:] = [rules]
        for rows, message in await deadline_reminders(runtime.ledger):
            await pusher.send_to(rows, message)

    return [Job("notify_reminders", REMINDER_INTERVAL_S, remind)]
