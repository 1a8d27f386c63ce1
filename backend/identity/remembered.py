"""Answers identity remembers between requests: who is behind a session, who is on a case.

Every request asked the database both questions (a query each, about a third of an append's
server time). An answer is kept for `REMEMBER_S` seconds. This process forgets it at once when it
changes what the answer rests on: a session ended, staff changed or deactivated, a passkey revoked
(`forget_sessions`), a membership applied by the projection (`forget_case`). Another process's
change (a second worker, the CLI) is seen within `REMEMBER_S`, as a request already past its check
would have landed anyway. Only positive answers from settled rows are kept: an unknown session or
a case not yet projected is asked again every time.

An answer still in use past `REFRESH_AFTER_S` is asked again in the background (`due`, `refresh`),
so an officer at work never waits for those queries: at 200 officers, a fifth of all requests did,
each query waiting for a turn of a busy event loop and the request missing its batch's commit.
An answer is never used once older than `REMEMBER_S`, refreshed or not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

from backend.identity.tables import WebSession

REMEMBER_S = 1.0
# Late enough that refreshing adds a quarter to the queries the one-second bound costs anyway, early
# enough that the answer is back (milliseconds, tens under load) long before the old one runs out.
REFRESH_AFTER_S = REMEMBER_S * 0.8
LIMIT = 50_000  # entries per map; past it the map starts afresh (a burst of new sessions)

_sessions: dict[str, tuple[float, Any]] = {}
_cases: dict[str, dict[str, tuple[float, tuple[str, bool]]]] = {}
_case_count = 0
# Bumped by every forget: an answer read from the database before a change but stored after it
# would otherwise be remembered stale. A reader takes `generation()` before its query and passes
# it back; a changed generation means the answer is used once and not kept.
_generation = 0
# Answers being asked again in the background, by key, and their tasks (kept from the collector).
_refreshing: set[tuple[str, ...]] = set()
_tasks: set[asyncio.Task[None]] = set()
log = logging.getLogger("casetrail.identity")


def generation() -> int:
    return _generation


_bound: object = None


def _same_database() -> None:
    """Answers belong to the database the tables are bound to (tests bind a fresh one each)."""
    global _bound
    engine = WebSession._meta.db
    if engine is not _bound:
        forget_all()
        _bound = engine


def session(digest: str) -> Any | None:
    _same_database()
    found = _sessions.get(digest)
    if found is None or time.monotonic() - found[0] >= REMEMBER_S:
        return None
    return found[1]


def remember_session(digest: str, value: Any, asked_at: int) -> None:
    if asked_at != _generation:
        return
    if len(_sessions) >= LIMIT:
        _sessions.clear()
    _sessions[digest] = (time.monotonic(), value)


def forget_session(digest: str) -> None:
    """This session is no longer good (a refresh found it ended): ask the database next time."""
    global _generation
    _generation += 1
    _sessions.pop(digest, None)


def forget_sessions() -> None:
    """A session ended or the person behind sessions changed: ask the database again."""
    global _generation
    _generation += 1
    _sessions.clear()


def case_access(case_id: str, staff_id: str) -> tuple[str, bool] | None:
    """(the case's agency, whether staff_id is on it), if known recently."""
    _same_database()
    found = _cases.get(case_id, {}).get(staff_id)
    if found is None or time.monotonic() - found[0] >= REMEMBER_S:
        return None
    return found[1]


def remember_case_access(
    case_id: str, staff_id: str, agency_id: str, member: bool, asked_at: int
) -> None:
    global _case_count
    if asked_at != _generation:
        return
    if _case_count >= LIMIT:
        _cases.clear()
        _case_count = 0
    _cases.setdefault(case_id, {})[staff_id] = (time.monotonic(), (agency_id, member))
    _case_count += 1


def forget_case_access(case_id: str, staff_id: str) -> None:
    global _generation
    _generation += 1
    _cases.get(case_id, {}).pop(staff_id, None)


def forget_case(case_id: str) -> None:
    """The case's team changed in this process: the next check reads it."""
    global _generation
    _generation += 1
    _cases.pop(case_id, None)


def forget_all() -> None:
    global _case_count, _generation
    _generation += 1
    _sessions.clear()
    _cases.clear()
    _case_count = 0


def due(key: tuple[str, ...]) -> bool:
    """Whether the remembered answer under `key` (("session", digest) or ("case", case_id,
    staff_id)) is past `REFRESH_AFTER_S` and nobody is asking the database again yet."""
    if key in _refreshing:
        return False
    found = _sessions.get(key[1]) if key[0] == "session" else _cases.get(key[1], {}).get(key[2])
    return found is not None and time.monotonic() - found[0] >= REFRESH_AFTER_S


def refresh(key: tuple[str, ...], asking: Coroutine[Any, Any, Any]) -> None:
    """Ask again in the background (`asking` stores what it finds, or forgets the answer)."""
    _refreshing.add(key)

    async def run() -> None:
        try:
            await asking
        except Exception:  # the answer is not extended: the next request past its time asks
            log.exception("refreshing a remembered answer failed")
        finally:
            _refreshing.discard(key)

    task = asyncio.get_running_loop().create_task(run())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def refreshed() -> None:
    """Wait for the background refreshes under way (tests)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)
