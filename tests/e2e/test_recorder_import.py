"""An officer back from a shift imports the recorder's files: by `casetrail import` and in the browser.

The server is real uvicorn on a temp data directory (tests/e2e/conftest.py). The officer, their case
and the import token are made by a small script against the same data directory, as the app would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import (
    AGENCY,
    ROOT,
    Server,
    add_authenticator,
    context_options,
    register_officer,
    wait_ready,
)
from tests.recorder_files import make_recording

SETUP = r"""
import asyncio, json, sys, uuid
from datetime import datetime, timedelta, UTC
from backend.settings import Settings
from backend.runtime import open_runtime
from backend.cases.lifecycle import open_case
from backend.recordings.import_tokens import issue_import_token
from backend.identity.staff import create_staff
from backend.identity.tables import Staff
from backend.ledger.entry import Draft, utc_iso

staff_id, agency, start = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])

async def main():
    async with open_runtime(Settings.from_env(), projections=False) as rt:
        if not await Staff.exists().where(Staff.staff_id == staff_id):
            await create_staff(staff_id, agency, "王执法", ["officer"])
        case_id = await open_case(
            rt.ledger, agency_id=agency, actor=staff_id, client_id=str(uuid.uuid4()),
            payload={"title": "某餐馆拖欠工资案", "enforcement_kind": "penalty",
                     "procedure": "general", "start_path": "complaint", "parties": []},
            officers=[],
        )
        inquiry = await rt.ledger.append(Draft(
            case_id=case_id, kind="record.inquiry", client_id=str(uuid.uuid4()), actor=staff_id,
            payload={"person": "李某", "transcript": "问：……答：……",
                     "started_at": utc_iso(start), "ended_at": utc_iso(start + timedelta(minutes=30))},
        ))
        token = await issue_import_token(rt.ledger, agency_id=agency, staff_id=staff_id)
        out = {"case_id": case_id, "inquiry": inquiry.hash, "token": token.token}
        if len(sys.argv) > 4:
            from backend.identity.sessions import start_session
            out["session"], out["csrf"] = await start_session(staff_id, None, Settings.from_env())
        print(json.dumps(out))

asyncio.run(main())
"""


def setup_officer(
    server: Server, staff_id: str, inquiry_start: datetime, session: bool = False
) -> dict:
    args = [staff_id, AGENCY, inquiry_start.isoformat(), *(["session"] if session else [])]
    out = subprocess.run(
        [sys.executable, "-c", SETUP, *args],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def casetrail_import(server: Server, token: str, folder: Path, *extra: str):
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", "import", "--device", "DSJ-0123456", str(folder),
         "--server", server.url, "--token", token, "--computer", "执法室电脑01", *extra],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip


def api(server: Server, token: str, path: str):
    request = urllib.request.Request(
        server.url + path, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as res:
        return json.loads(res.read())


def name_at(moment: datetime) -> str:
    return f"DSJ_0123456_{moment.astimezone(UTC) + timedelta(hours=8):%Y%m%d_%H%M%S}.mp4"


def test_cli_imports_a_shift_matches_the_case_and_reports_duplicates_late_and_corrupt(
    server: Server, tmp_path: Path
):
    now = datetime.now(UTC).replace(microsecond=0)
    inquiry_start = now - timedelta(hours=2)
    setup = setup_officer(server, f"cli-{uuid.uuid4().hex[:6]}", inquiry_start)
    token = setup["token"]
    folder = tmp_path / "DCIM"
    during = inquiry_start + timedelta(minutes=3)
    old = now - timedelta(days=20)
    make_recording(folder / name_at(during), during, seconds=3)
    make_recording(folder / "100MEDIA" / name_at(old), old, seconds=2, shade=40)
    (folder / name_at(now - timedelta(hours=1))).write_bytes(
        b"\x00\x00\x00\x18ftypmp42" + b"\0" * 999
    )
    (folder / "readme.txt").write_text("记录仪说明")

    first = casetrail_import(server, token, folder, "--confirm", "--late-reason", "continuous_duty")
    out = first.stdout
    assert first.returncode == 1, out + first.stderr  # the corrupt file and the text file
    assert f"IMPORTED {name_at(during)}" in out
    assert f"proposed: case {setup['case_id']}" in out and "record.inquiry" in out
    assert f"linked to case {setup['case_id']}" in out
    assert f"IMPORTED {name_at(old)}" in out and "LATE by" in out and "continuous_duty" in out
    assert f"ERROR {name_at(now - timedelta(hours=1))}" in out
    # The corrupt file is explained in both languages, without the server's file paths.
    corrupt = next(line for line in out.splitlines() if "ERROR DSJ_" in line)
    assert "文件" in corrupt and "damaged" in corrupt
    assert str(server.data_dir) not in out
    assert "ERROR readme.txt: not a recording" in out

    listed = {r["filename"]: r for r in api(server, token, "/api/recordings")}
    assert set(listed) == {name_at(during), name_at(old)}
    matched = listed[name_at(during)]
    assert matched["via"] == "cli" and matched["computer"] == "执法室电脑01"
    assert matched["device"]["number"] == "0123456"  # "DSJ-" and "0123456" are one recorder
    assert matched["deadline"]["late"] is False
    assert [c["case_id"] for c in matched["cases"]] == [setup["case_id"]]
    late = listed[name_at(old)]["deadline"]
    assert late["late"] is True and late["basis"] == "working_days" and late["late_by_h"] > 24
    unassigned = api(server, token, "/api/recordings?unassigned=true")
    assert [r["filename"] for r in unassigned] == [name_at(old)]

    # Run again from the same computer (an import killed midway, restarted): a resume, no copies.
    resumed = casetrail_import(server, token, folder)
    assert f"IMPORTED {name_at(during)}" in resumed.stdout, resumed.stdout
    assert f"IMPORTED {name_at(old)}" in resumed.stdout
    assert "DUPLICATE" not in resumed.stdout

    # The same files handed in from another computer: the officer kept copies, which is recorded.
    again = casetrail_import(server, token, folder, "--computer", "家里电脑")
    assert f"DUPLICATE {name_at(during)}" in again.stdout
    assert f"DUPLICATE {name_at(old)}" in again.stdout
    assert len(api(server, token, "/api/recordings")) == 2


def test_import_without_a_token_explains_how_to_get_one(server: Server, tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "import", "--device", "X1", str(tmp_path),
         "--server", server.url],
        cwd=ROOT,
        env={k: v for k, v in server.env.items() if k != "CASETRAIL_IMPORT_TOKEN"},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "import token" in result.stderr


def test_browser_page_imports_a_folder_and_the_officer_confirms_the_case(
    browser, server: Server, tmp_path: Path
):
    ctx = browser.new_context(**{**context_options(server), "viewport": {"width": 1440, "height": 900},
                                 "is_mobile": False, "has_touch": False})  # fmt: skip
    page = ctx.new_page()
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        start = now - timedelta(hours=1)
        if (ROOT / "pwa" / "js" / "passkeys.js").exists():
            add_authenticator(page)
            register_officer(page, server, name="赵执法")
            me = page.evaluate("fetch('/api/recordings/me').then(r => r.json())")
            case = setup_officer(server, me["staff_id"], start)
        else:
            # Until identity's passkey module is in the app: a server-side session for the officer,
            # as a passkey sign-in would make, and the app's remembered "me".
            staff_id = f"web-{uuid.uuid4().hex[:6]}"
            case = setup_officer(server, staff_id, start, session=True)
            ctx.add_cookies(
                [
                    {"name": "casetrail_session", "value": case["session"], "url": server.url},
                    {"name": "csrftoken", "value": case["csrf"], "url": server.url},
                ]
            )
            page.goto("/")
            wait_ready(page)
            page.evaluate(
                "me => import('/js/db.js').then(db => db.kvSet('me', me))",
                {"staff_id": staff_id, "agency_id": AGENCY, "name": "赵执法", "roles": ["officer"]},
            )
        during = start + timedelta(minutes=2)
        folder = tmp_path / "recorder"
        make_recording(folder / name_at(during), during, seconds=3, shade=90)
        (folder / name_at(now)).write_bytes(b"not a video at all" * 40)
        page.goto("/#/import")
        page.reload()
        wait_ready(page)
        expect(page.locator("#import-screen")).to_be_visible()
        page.fill("#import-device", "DSJ-0123456")
        page.set_input_files("#import-files", [str(p) for p in sorted(folder.iterdir())])
        page.click("#import-start")
        page.wait_for_selector("#import-screen[data-done='1']", timeout=60_000)
        good = page.locator(f"tr.import-row[data-name='{name_at(during)}']")
        expect(good).to_have_attribute("data-state", "imported")
        expect(good.locator("progress.hash-progress")).to_have_attribute("value", "1")
        proposal = good.locator(f".proposal[data-case-id='{case['case_id']}']")
        expect(proposal).to_contain_text("询问笔录")  # the step's title, not its kind
        expect(proposal).not_to_contain_text("record.inquiry")
        proposal.locator("button.confirm").click()
        expect(proposal.locator("button.confirm")).to_have_text("已关联")
        bad = page.locator(f"tr.import-row[data-name='{name_at(now)}']")
        expect(bad).to_have_attribute("data-state", "failed")
        expect(bad.locator(".status")).to_contain_text("无法")
        expect(bad.locator(".status")).not_to_contain_text(str(server.data_dir))
        expect(bad.locator(".status")).not_to_contain_text("Errno")
        listed = page.evaluate("fetch('/api/recordings').then(r => r.json())")
        assert [r["filename"] for r in listed] == [name_at(during)]
        assert [c["case_id"] for c in listed[0]["cases"]] == [case["case_id"]]
        assert listed[0]["via"] == "browser"

        # The page reloaded and the same folder picked again on this computer: a resume of the
        # same hand-over (the same client id), recognised by hash, nothing sent or recorded twice.
        def import_again(computer: str) -> None:
            page.reload()
            wait_ready(page)
            page.fill("#import-device", "DSJ-0123456")
            page.fill("#import-computer", computer)
            page.set_input_files("#import-files", [str(folder / name_at(during))])
            page.click("#import-start")
            page.wait_for_selector("#import-screen[data-done='1']", timeout=60_000)

        computer = page.input_value("#import-computer")
        import_again(computer)
        expect(page.locator("tr.import-row").first).to_have_attribute("data-state", "imported")
        # From another computer, the officer kept a copy: a second hand-over, recorded.
        import_again(f"{computer}-家")
        expect(page.locator("tr.import-row").first).to_have_attribute("data-state", "duplicate")
    finally:
        ctx.close()
