"""Anonymous sign-in ceremonies are limited per client address and in total, on every server.

Asking for sign-in options writes a challenge row before anyone is known. A script doing it in a
loop used to fill the database; now an address that starts too many ceremonies (or fails too many
sign-ins) gets 429 with Retry-After and writes nothing more, while everyone else signs in as usual.
The limits are settings; these stories run with low ones.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from httpx import ASGITransport, AsyncClient

from backend.identity import challenges
from backend.identity.invites import INVITE_TOKEN_HEADER
from backend.identity.tables import Challenge, WebSession
from backend.settings import SignInLimits
from tests.engines import ENGINE
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY
from tests.integration.servers import Server, real_client, server_env

RATE = 4


@pytest.fixture
def settings(settings):
    """The test's deployment, with a sign-in limit a test can reach, behind one trusted proxy."""
    return dataclasses.replace(
        settings,
        signin_limits=SignInLimits(rate=RATE, window_s=60, per_address=50, total=1000),
        trusted_proxies=("10.0.0.2/32",),
    )


def client_from(app, peer: str) -> AsyncClient:
    """Another browser, reaching the app from `peer`."""
    transport = ASGITransport(app=app, client=(peer, 40000))
    client = AsyncClient(transport=transport, base_url="http://localhost:8000")
    client.app = app  # type: ignore[attr-defined]
    return client


def assert_throttled(answer, within_s: int = 60) -> None:
    """429, the standard error body in plain words, and when to come back (at most `within_s`)."""
    assert answer.status_code == 429, answer.text
    assert answer.json()["code"] == "too_many_sign_ins"
    assert "登录" in answer.json()["message"]
    assert 1 <= int(answer.headers["retry-after"]) <= within_s


async def test_a_burst_from_one_address_is_refused_and_writes_nothing_more(app_client):
    app = app_client.app
    async with client_from(app, "203.0.113.9") as script, client_from(app, "10.0.0.2") as proxy:
        for _ in range(RATE):
            assert (await script.post("/api/session/options")).status_code == 200
        rows = await Challenge.count()
        for _ in range(3):
            assert_throttled(await script.post("/api/session/options"))
        assert await Challenge.count() == rows

        # Someone else, directly or through our proxy, still gets a sign-in page.
        async with client_from(app, "203.0.113.10") as neighbour:
            assert (await neighbour.post("/api/session/options")).status_code == 200
        forwarded = {"X-Forwarded-For": "198.51.100.20"}
        for _ in range(RATE):
            ok = await proxy.post("/api/session/options", headers=forwarded)
            assert ok.status_code == 200
        # The proxy's clients are told apart by the address the proxy names.
        assert_throttled(await proxy.post("/api/session/options", headers=forwarded))
        other = await proxy.post(
            "/api/session/options", headers={"X-Forwarded-For": "198.51.100.21"}
        )
        assert other.status_code == 200


async def test_failed_sign_ins_count_and_then_even_a_good_one_waits(app_client):
    me = await signed_in(app_client, "officer", AGENCY)
    async with client_from(app_client.app, "203.0.113.40") as phone:
        options = (await phone.post("/api/session/options")).json()  # 1
        answer = me.authenticator.assert_(options)
        assert (await phone.post("/api/session", json={"credential": answer})).status_code == 200
        replay = await phone.post("/api/session", json={"credential": answer})  # 2
        assert replay.json()["code"] == "challenge_used"
        options = (await phone.post("/api/session/options")).json()  # 3
        wrong = await phone.post(
            "/api/session",
            json={"credential": me.authenticator.assert_(options, rp_id="evil.example")},
        )  # 4
        assert wrong.status_code == 401
        sessions = await WebSession.count()

        assert_throttled(await phone.post("/api/session/options"))
        # Its last challenge was still unused: answering it correctly is refused too, for now.
        late = await phone.post(
            "/api/session", json={"credential": me.authenticator.assert_(options)}
        )
        assert_throttled(late)
        assert await WebSession.count() == sessions


async def test_opening_an_invitation_counts_like_a_sign_in(app_client):
    async with client_from(app_client.app, "203.0.113.50") as guesser:
        for n in range(RATE):
            guess = await guesser.get("/api/invite", headers={INVITE_TOKEN_HEADER: f"guess-{n}"})
            assert guess.status_code in (404, 410), guess.text
        assert_throttled(
            await guesser.get("/api/invite", headers={INVITE_TOKEN_HEADER: "one-more-guess"})
        )


async def test_open_challenges_are_capped_per_address_and_in_total(app_client):
    app = app_client.app
    app.state.signin_throttle = None  # made afresh from these limits on the next request
    app.state.settings = dataclasses.replace(
        app.state.settings, signin_limits=SignInLimits(rate=100, per_address=3, total=5)
    )
    start = await challenges.outstanding()
    async with client_from(app, "203.0.113.60") as one, client_from(app, "203.0.113.61") as two:
        for _ in range(3):
            assert (await one.post("/api/session/options")).status_code == 200
        # Its own cap: a place frees when one of its challenges expires (5 minutes at most).
        assert_throttled(
            await one.post("/api/session/options"), within_s=challenges.CHALLENGE_TTL_S
        )
        while await challenges.outstanding() < 5:
            assert (await two.post("/api/session/options")).status_code == 200
        async with client_from(app, "203.0.113.62") as three:
            full = await three.post("/api/session/options")
            assert_throttled(
                full, within_s=challenges.CHALLENGE_TTL_S
            )  # everyone's cap: a new address waits too
            assert await challenges.outstanding() == 5 >= start

            # Challenges expire; the next one issued purges them and frees the place.
            await Challenge.update(
                {Challenge.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
            ).where(Challenge.used_at.is_null())
            challenges._purged_at = -challenges.PURGE_EVERY_S
            assert (await three.post("/api/session/options")).status_code == 200
        assert await Challenge.count().where(Challenge.expires_at <= datetime.now(UTC)) == 0
        assert await challenges.outstanding() == 1


@pytest.mark.skipif(ENGINE != "postgres", reason="several servers share a PostgreSQL database")
async def test_two_servers_on_one_database_share_the_count(
    engine, settings, database_url, tmp_path
):
    env = server_env(settings, database_url, settings.public_url, CASETRAIL_SIGNIN_RATE=str(RATE))
    servers = [Server(env, tmp_path / f"server-{n}.log") for n in "ab"]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        clients = [real_client(s.url, settings) for s in servers]
        rows = await Challenge.count()
        for n in range(RATE):
            assert (await clients[n % 2].post("/api/session/options")).status_code == 200
        for client in clients:  # each server made only half, and still refuses
            assert_throttled(await client.post("/api/session/options"))
        assert await Challenge.count() == rows + RATE
        for client in clients:
            await client.aclose()
    finally:
        for server in servers:
            server.stop()
