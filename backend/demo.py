"""`casetrail demo`: a data directory with one agency per rule pack and cases at every stage.

The demo drives the real app in-process, over HTTP, as its officers' phones and the party's
browser would: cases are opened and records appended through the same routes, captures are
uploaded with tus and finalised through the ingest path (so findings and evidence_media are
right), documents are rendered by the documents code, parties confirm through their link.
Only two things are not what a phone does: the staff sign in by a session the demo starts for
them (they have no passkeys), and time. A case "opened three weeks ago" was received three weeks
ago: the ledger's clock is set for each step, and media are finalised with that moment as `now`,
so upload deadlines count as they would have. Everything stays valid for `casetrail verify`.

Newcomers sign in with the one-time links printed at the end (one per agency and role): each
registers a passkey for the demo person in that role (`invites.create_enrolment`, as for a new
phone), so the officer's link shows that officer's cases.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from litestar import Litestar

from backend.demo_cast import CASTS, ROLE_TITLES
from backend.demo_steps import CHINA, Demo
from backend.demo_story import AgencyStory
from backend.errors import CaseTrailError
from backend.settings import Settings

STAGE_TITLES = {
    "start": "程序启动",
    "investigation": "调查取证",
    "review_decision": "审查决定",
    "service": "送达",
    "execution": "执行",
    "archive": "归档",
}


class DemoRefused(CaseTrailError):
    """The demo writes only into an empty data directory and an empty database."""

    status, code = 409, "demo_needs_empty_data_dir"


def check_empty(settings: Settings) -> None:
    data_dir = settings.data_dir
    if data_dir.exists() and any(data_dir.iterdir()):
        raise DemoRefused(
            f"{data_dir} 不是空目录，演示数据只写入新的数据目录 / {data_dir} is not empty: the demo "
            "fills only a new data directory. Choose another one, e.g. "
            "CASETRAIL_DATA_DIR=./demo-data casetrail demo"
        )


async def _tell(demo: Demo) -> list[str]:
    """The cases made, per agency, with their stage and open problems, for the printed summary."""
    from backend.cases.lifecycle import case_view

    out = []
    for cast in CASTS:
        for case_id, title in demo.cases.get(cast.agency_id, []):
            view = await case_view(demo.ledger, case_id)
            problems = [r for r in view["compliance"] if r["status"] in ("missing", "late")]
            late = sum(r["status"] == "late" for r in problems)
            missing = len(problems) - late
            note = f"（缺{missing}项、逾期{late}项）" if problems else ""
            out.append(f"    {STAGE_TITLES.get(view['stage'], view['stage'])}  {title}{note}")
    return out


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Litestar]:
    from backend.app import create_app

    app = create_app(settings)
    async with app.lifespan():
        yield app


async def fill(settings: Settings) -> Demo:
    """Fill an empty data directory and database with the demo; returns what was made."""
    check_empty(settings)
    # A line per request, per font table and per PNG without EXIF (signatures) is noise here.
    for chatty, level in (("httpx", logging.WARNING), ("fontTools", logging.WARNING),
                          ("exifread", logging.ERROR)):  # fmt: skip
        logging.getLogger(chatty).setLevel(level)
    refused: CaseTrailError | None = None
    async with running_app(settings) as app:
        demo = Demo(app, settings, datetime.now(CHINA).date())
        try:
            await _stories(demo)
        except CaseTrailError as stopped:  # raised outside the lifespan's task group, unwrapped
            refused = stopped
        finally:
            demo.ledger.clock = lambda: datetime.now(UTC)
            await asyncio.gather(*(c.aclose() for c in demo.clients))
    if refused is not None:
        raise refused
    return demo


async def _stories(demo: Demo) -> None:
    from backend.cases.lifecycle import pack_for

    if await demo.ledger.case_ids():
        raise DemoRefused("数据库中已有记录 / the database already holds entries: use a new one")
    for cast in CASTS:
        await pack_for(cast.agency_id)
        story = AgencyStory(demo, cast)
        await story.hire()
        first, second, third, fourth, fifth = cast.matters
        await story.archived(first)
        await story.served_by_link(second)
        await story.served_by_notice(third)
        await story.late_and_missing(fourth)
        await story.just_opened(fifth)
        await story.sign_out_all()
        await story.invite_newcomers()
    demo.ledger.clock = lambda: datetime.now(UTC)
    await demo.ledger.checkpoint()
    demo.summary = await _tell(demo)


def printout(demo: Demo) -> str:
    """What `casetrail demo` prints: where the data is, the cases, and each role's sign-in link."""
    from backend.cases.rules import get_pack

    lines = [
        f"演示数据已写入 / Demo data written to: {demo.settings.data_dir}",
        f"数据库 / Database: {demo.settings.database_url}",
        "",
    ]
    summary = iter(demo.summary)
    for cast in CASTS:
        name = get_pack(cast.agency_id).agency_name
        lines.append(f"【{name}】 {cast.agency_id}")
        lines.append("  案件 / Cases:")
        for _ in demo.cases.get(cast.agency_id, []):
            lines.append(next(summary, ""))
        lines.append(
            "  一次性登录链接（注册通行密钥后即以该人员身份登录）/ One-time sign-in links "
            "(register a passkey and you are that person):"
        )
        for role, person, staff_id, link in demo.links.get(cast.agency_id, []):
            zh, en = ROLE_TITLES[role]
            lines.append(f"    {zh:<6}{en:<16}{person:<5}{link}  ({staff_id})")
        lines.append("")
    lines += [
        "执法人员只看到自己承办的案件；监督、审批、法制审核、档案和管理员看到本机关全部案件。",
        "Officers see the cases they are on; supervisors, approvers, legal reviewers, archivists",
        "and administrators see all their agency's cases. Each link works once and expires in",
        "3 days; `casetrail invite --staff STAFF_ID` makes another for the same person.",
        "",
        "启动 / Start:  CASETRAIL_DATA_DIR=" + str(demo.settings.data_dir) + " scripts/run",
    ]
    return "\n".join(lines)


def demo_settings(settings: Settings, data_dir: str | None) -> Settings:
    """`--data-dir` overrides $CASETRAIL_DATA_DIR, with the database and blobs inside it by default."""
    if not data_dir:
        return settings
    import os

    env = {**os.environ, "CASETRAIL_DATA_DIR": data_dir}
    return Settings.from_env(env)
