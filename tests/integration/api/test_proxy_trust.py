"""X-Forwarded-For is believed only from the reverse proxies named in CASETRAIL_TRUSTED_PROXIES.

Before, uvicorn believed it from any loopback peer: a guesser on the same host, or behind a proxy
that passes the header through, named a new address per request and was never throttled.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from httpx import ASGITransport, AsyncClient

from backend.identity.invites import INVITE_TOKEN_HEADER
from backend.ledger.tables import LedgerEntry
from backend.service.links import PARTY_TOKEN_HEADER
from backend.service.throttle import THROTTLE
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, open_case
from tests.unit.identity.soft_authenticator import SoftAuthenticator
from tests.waiting import answers, until

ROOT = Path(__file__).resolve().parents[3]
LIMIT = THROTTLE.failures.limit


@pytest.fixture(autouse=True)
def fresh_throttle():
    THROTTLE.reset()
    yield
    THROTTLE.reset()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(settings, database_url, tmp_path):
    """`casetrail serve` as deployed (uvicorn) on this test's database, with uvicorn's access
    log turned on (`--access-log`): when an operator turns it on, it must hold no secrets."""
    port = _free_port()
    url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "CASETRAIL_DATA_DIR": str(settings.data_dir),
        "CASETRAIL_DATABASE_URL": database_url,
        "CASETRAIL_PUBLIC_URL": url,
        "CASETRAIL_CHECKPOINT_INTERVAL_S": "3600",
    }
    env.pop("CASETRAIL_TRUSTED_PROXIES", None)
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backend.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def up() -> bool:
            assert process.poll() is None, log_path.read_text()
            return answers(url)

        until(up, 60, log_path.read_text)
        yield url, env, log_path
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_guesser_on_loopback_cannot_dodge_the_party_throttle_with_forwarded_for(served):
    url, _env, _log = served
    with httpx.Client(base_url=url, timeout=30) as guesser:
        answers = [
            guesser.get(
                "/api/party",
                headers={PARTY_TOKEN_HEADER: f"guess-{i}", "X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(LIMIT + 1)
        ]
    assert answers[:LIMIT] == [404] * LIMIT
    assert answers[LIMIT] == 429


def test_the_server_access_log_holds_no_invitation_token_session_or_party_token(served):
    url, env, log_path = served
    made = subprocess.run(
        [sys.executable, "-m", "backend.cli", "invite", "--agency", AGENCY, "--role", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    link = made.stdout.split()[-1]
    assert link.startswith(f"{url}/#invite=")
    token = link.split("#invite=", 1)[1]
    with httpx.Client(base_url=url, timeout=30) as phone:
        carried = {INVITE_TOKEN_HEADER: token}
        info = phone.get("/api/invite", headers=carried)
        assert info.status_code == 200, info.text
        credential = SoftAuthenticator(origin=url).register(info.json()["options"])
        done = phone.post("/api/invite/passkey", json={"credential": credential}, headers=carried)
        assert done.status_code == 201, done.text
        session = phone.cookies["casetrail_session"]
        assert phone.get("/api/me").status_code == 200
        phone.get("/api/party", headers={PARTY_TOKEN_HEADER: "party-secret-guess"})
    # The access log is written by a thread of its own: wait until the last request is in it.
    written = until(
        lambda: "GET /api/party HTTP/1.1" in (text := log_path.read_text()) and text,
        30,
        log_path.read_text,
    )
    assert "GET /api/invite HTTP/1.1" in written  # the log is on and holds these requests
    assert token not in written
    assert session not in written
    assert "party-secret-guess" not in written


@pytest.fixture
def settings(settings):
    """The app behind our own reverse proxy at 10.0.0.2."""
    return dataclasses.replace(settings, trusted_proxies=("10.0.0.2/32",))


def client_from(app, peer: str) -> AsyncClient:
    transport = ASGITransport(app=app, client=(peer, 40000))
    client = AsyncClient(transport=transport, base_url="http://localhost:8000")
    client.app = app  # type: ignore[attr-defined]
    return client


async def test_behind_a_configured_proxy_the_forwarded_client_is_throttled_and_logged(app_client):
    app = app_client.app
    async with client_from(app, "10.0.0.2") as proxy, client_from(app, "192.0.2.50") as direct:
        # The proxy appended the real client's address after whatever the client claimed.
        for i in range(LIMIT):
            forwarded = {"X-Forwarded-For": f"1.2.3.{i}, 203.0.113.5"}
            guess = await proxy.get("/api/party", headers={PARTY_TOKEN_HEADER: "g", **forwarded})
            assert guess.status_code == 404
        assert await THROTTLE.failures.full("203.0.113.5")
        blocked = await proxy.get(
            "/api/party", headers={PARTY_TOKEN_HEADER: "g", "X-Forwarded-For": "203.0.113.5"}
        )
        assert blocked.status_code == 429
        other = await proxy.get(
            "/api/party", headers={PARTY_TOKEN_HEADER: "g", "X-Forwarded-For": "203.0.113.6"}
        )
        assert other.status_code == 404
        # A peer that is not our proxy is itself, whatever it forwards.
        spoof = await direct.get(
            "/api/party", headers={PARTY_TOKEN_HEADER: "g", "X-Forwarded-For": "203.0.113.7"}
        )
        assert spoof.status_code == 404
        assert await THROTTLE.failures.count("192.0.2.50") == 1
        assert await THROTTLE.failures.count("203.0.113.7") == 0

        THROTTLE.reset()
        officer = await signed_in(proxy, "officer", AGENCY)
        case_id = await open_case(proxy, officer)
        seen = await proxy.get(
            f"/api/cases/{case_id}/timeline", headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert seen.status_code == 200
    rows = await LedgerEntry.raw(
        "SELECT body FROM ledger_entry WHERE case_id = {} AND kind = 'access.viewed'", case_id
    )
    assert rows and all('"ip":"203.0.113.9"' in r["body"] for r in rows)
