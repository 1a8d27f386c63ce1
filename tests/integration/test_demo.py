"""A newcomer runs `casetrail demo` and finds a living system they can sign in to.

The demo runs as the newcomer runs it (the command line, into an empty data directory), then
`casetrail verify` checks the whole log, and the app is asked what each agency's supervisor
would see. Runs on both engines: the demo writes through every domain's storage.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from httpx import ASGITransport, AsyncClient

from backend.demo_cast import CASTS, ROLE_ORDER
from backend.identity.invites import INVITE_TOKEN_HEADER
from tests.integration.conftest import signed_in

ROOT = Path(__file__).resolve().parents[2]
AGENCIES = [cast.agency_id for cast in CASTS]


async def casetrail(settings, *args: str) -> tuple[int, str]:
    """`casetrail ARGS` as a newcomer types it, from this checkout, on the test's database."""
    env = {
        **os.environ,
        "CASETRAIL_DATA_DIR": str(settings.data_dir),
        "CASETRAIL_DATABASE_URL": settings.database_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "backend.cli", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode, out.decode()


@asynccontextmanager
async def the_app(settings):
    """The app the newcomer starts afterwards (`scripts/run`), reached over in-process HTTP."""
    from backend.demo import running_app

    async with (
        running_app(settings) as app,
        AsyncClient(transport=ASGITransport(app=app), base_url="http://localhost:8000") as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


async def test_the_demo_is_a_living_system_that_verifies_and_lets_a_newcomer_sign_in(settings):
    code, out = await casetrail(settings, "demo")
    assert code == 0, out
    code, verified = await casetrail(settings, "verify")
    assert code == 0, verified
    assert "OK whole log" in verified

    # The printed links: one per agency and role, grouped under the agency's Chinese name.
    tokens = re.findall(r"/#invite=([A-Za-z0-9_-]+)", out)
    assert len(tokens) == len(AGENCIES) * len(ROLE_ORDER)
    assert "衡阳市蒸湘区人力资源和社会保障局" in out and "执法人员" in out

    async with the_app(settings) as client:
        # Each link is for the demo person in that role (the officer who holds the demo cases),
        # not a new, empty account.
        people = [
            (cast.agency_id, role, next(p.name for p in cast.staff if role in p.roles))
            for cast in CASTS
            for role in ROLE_ORDER
        ]
        for token, (agency_id, role, name) in zip(tokens, people, strict=True):
            opened = await client.get("/api/invite", headers={INVITE_TOKEN_HEADER: token})
            assert opened.status_code == 200, opened.text
            assert opened.json()["roles"] == [role]
            assert opened.json()["agency_id"] == agency_id
            assert opened.json()["name"] == name

        board = (await client.get("/api/notices")).json()
        assert {group["agency_id"] for group in board} == set(AGENCIES)
        assert all(n["document_url"] and n["photo_urls"] for g in board for n in g["notices"])

        for agency_id in AGENCIES:
            headers = await signed_in(client, "supervisor", agency_id, name="监督检查")
            cases = (await client.get("/api/cases", headers=headers)).json()
            assert len({case["stage"] for case in cases}) >= 3, agency_id
            statuses: set[str] = set()
            capture_findings: set[str] = set()
            confirmed_links = 0
            for case in cases:
                view = (await client.get(f"/api/cases/{case['case_id']}", headers=headers)).json()
                statuses |= {r["status"] for r in view["compliance"]}
                links = await client.get(
                    f"/api/cases/{case['case_id']}/service/links", headers=headers
                )
                confirmed_links += sum(1 for link in links.json() if link["confirmed_entry"])
                timeline = await client.get(
                    f"/api/cases/{case['case_id']}/timeline?limit=1000", headers=headers
                )
                for entry in timeline.json()["entries"]:
                    if entry["kind"] in ("media.photo", "media.audio", "media.video"):
                        capture_findings |= {f["code"] for f in entry["payload"]["findings"]}
            assert {"late", "missing", "met"} <= statuses, agency_id
            assert confirmed_links == 1, agency_id  # served by link, confirmed by the party
            # Real files: EXIF time and GPS, container times all agree with what the phone said.
            assert capture_findings == {"consistent"}, agency_id


async def test_the_demo_refuses_a_data_directory_that_is_not_empty(settings, tmp_path):
    elsewhere = tmp_path / "real-data"
    elsewhere.mkdir()
    kept = elsewhere / "casetrail.sqlite"
    kept.write_bytes(b"someone's real data")
    code, out = await casetrail(settings, "demo", "--data-dir", str(elsewhere))
    assert code == 2, out
    assert f"{elsewhere} 不是空目录" in out and "is not empty" in out
    assert [p.name for p in elsewhere.iterdir()] == ["casetrail.sqlite"]
    assert kept.read_bytes() == b"someone's real data"
    assert not settings.data_dir.exists()  # nor was the default one touched
