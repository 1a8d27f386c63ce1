"""A server killed with kill -9 in the middle of appends and photo uploads loses nothing it answered.

Officers keep recording notes and sending photos (tus uploads, resumed from the server's offset
after a drop) while the server is killed -9 a few times and started again; on PostgreSQL it runs
`--workers 2` and sometimes only one worker dies (the others serve on, a new one is forked).
Every client resends what got no answer, with the same client id, until it is answered. At the
end every answered entry is in the log exactly once, the log has no gap, and `casetrail verify`
passes on the whole log and every blob.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest

from backend.ledger.tables import LedgerEntry
from tests.engines import ENGINE
from tests.integration.conftest import signed_in
from tests.integration.evidence.conftest import jpeg
from tests.integration.identity.people import AGENCY, open_case
from tests.integration.servers import ROOT, Server, real_client, server_env
from tests.integration.uploads import b64
from tests.waiting import until

RETRY_AFTER_S = 0.1  # a client's pause before resending, as the PWA's outbox backs off
DROPPED = (httpx.TransportError, httpx.RemoteProtocolError)


async def until_answered(send: Callable[[], Awaitable[httpx.Response]], ok: set[int]) -> dict:
    """Resend until the server answers with one of `ok`: a dropped answer is asked again."""
    while True:
        try:
            answer = await send()
        except DROPPED:
            await asyncio.sleep(RETRY_AFTER_S)
            continue
        if answer.status_code in ok:
            return answer.json() if answer.content else {}
        # 423: another request still holds the upload; 5xx from a dying server: try again.
        assert answer.status_code == 423 or answer.status_code >= 500, answer.text
        await asyncio.sleep(RETRY_AFTER_S)


async def record_note(client, headers, case_id: str, text: str) -> dict:
    body = {"kind": "note", "client_id": str(uuid.uuid4()), "payload": {"text": text}}
    return await until_answered(
        lambda: client.post(f"/api/cases/{case_id}/entries", json=body, headers=headers),
        {200, 201},
    )


async def send_photo(client, headers, case_id: str, n: int) -> dict:
    """A tus upload that resumes from the server's offset after every drop, then finalises."""
    data = jpeg((80 + n % 50, 60))
    sha = hashlib.sha256(data).hexdigest()
    client_id = str(uuid.uuid4())
    meta = {"sha256": sha, "media_type": "image/jpeg", "case_id": case_id,
            "client_id": client_id, "filename": f"IMG_{n:04d}.jpg"}  # fmt: skip
    tus = {**headers, "Tus-Resumable": "1.0.0"}
    create = {**tus, "Upload-Length": str(len(data)),
              "Upload-Metadata": ",".join(f"{k} {b64(v)}" for k, v in meta.items())}  # fmt: skip
    while True:
        try:
            created = await client.post("/api/uploads", headers=create)
            if created.status_code >= 500:
                raise httpx.RemoteProtocolError("server going down")
            assert created.status_code in (200, 201), created.text
            where = created.headers["location"]
            offset = int((await client.head(where, headers=tus)).headers["upload-offset"])
            half = len(data) // 2
            while offset < len(data):
                end = half if offset < half else len(data)
                sent = await client.patch(
                    where,
                    content=data[offset:end],
                    headers={**tus, "Upload-Offset": str(offset),
                             "Content-Type": "application/offset+octet-stream"},
                )  # fmt: skip
                if sent.status_code != 204:
                    raise httpx.RemoteProtocolError(f"upload answered {sent.status_code}")
                offset = int(sent.headers["upload-offset"])
            break
        except DROPPED:
            await asyncio.sleep(RETRY_AFTER_S)
    final = {"client_id": client_id, "sha256": sha, "kind": "media.photo",
             "media_type": "image/jpeg", "claimed": {"time": "2026-03-01T09:00:00+08:00"},
             "device": "BC-001", "payload": {}}  # fmt: skip
    return await until_answered(
        lambda: client.post(f"/api/cases/{case_id}/media", json=final, headers=headers),
        {200, 201},
    )


async def kill_nine_run(settings, database_url, tmp_path, kills: int) -> None:
    workers = 2 if ENGINE == "postgres" else 1
    env = server_env(settings, database_url, settings.public_url)
    server = Server(env, tmp_path / "server.log", workers=workers).start()
    answered: list[dict] = []
    stop = asyncio.Event()
    try:
        async with real_client(server.url, settings) as client:
            officer = await signed_in(client, "officer", AGENCY)
            case_id = await open_case(client, officer)

            async def officer_at_work(who: int) -> None:
                n = 0
                while not stop.is_set():
                    if n % 4 == 3:
                        answered.append(await send_photo(client, officer, case_id, who * 1000 + n))
                    else:
                        answered.append(await record_note(client, officer, case_id, f"{who}-{n}"))
                    n += 1

            crew = [asyncio.create_task(officer_at_work(who)) for who in range(4)]
            for kill in range(kills):
                seen = len(answered)
                while len(answered) < seen + 6:  # let work reach the server before each kill
                    assert not any(t.done() for t in crew), [t.exception() for t in crew]
                    await asyncio.sleep(RETRY_AFTER_S)
                if workers > 1 and kill % 2 == 0:
                    # One worker dies; the other serves on and the parent forks a new one.
                    before = server.worker_pids()
                    await asyncio.to_thread(_kill_worker, before[0])
                    await asyncio.to_thread(_until_replaced, server, before)
                else:
                    await asyncio.to_thread(server.kill)
                    await asyncio.to_thread(server.start)
            seen = len(answered)
            while len(answered) < seen + 6:  # the restarted server takes work again
                await asyncio.sleep(RETRY_AFTER_S)
            stop.set()
            await asyncio.gather(*crew)
    finally:
        server.stop()

    rows = await LedgerEntry.raw("SELECT log_index, hash, client_id FROM ledger_entry")
    assert sorted(r["log_index"] for r in rows) == list(range(len(rows)))  # no gap
    assert len({r["client_id"] for r in rows}) == len(rows)  # nothing twice
    in_log = {r["hash"] for r in rows}
    assert all(a["hash"] in in_log for a in answered)  # nothing answered is lost
    assert any(a["kind"] == "media.photo" for a in answered)
    verified = subprocess.run(
        [sys.executable, "-m", "backend.cli", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("OK")


def _kill_worker(pid: int) -> None:
    import os
    import signal

    os.kill(pid, signal.SIGKILL)


def _until_replaced(server: Server, before: list[int]) -> None:
    until(
        lambda: len(now := server.worker_pids()) == len(before) and now != before,
        120,
        server.log_path.read_text,
    )


async def test_kill_nine_during_appends_and_uploads_loses_nothing_answered(
    settings, database_url, tmp_path, engine
):
    await kill_nine_run(settings, database_url, tmp_path, kills=3)


@pytest.mark.slow
async def test_many_kills_during_appends_and_uploads_lose_nothing_answered(
    settings, database_url, tmp_path, engine
):
    await kill_nine_run(settings, database_url, tmp_path, kills=20)
