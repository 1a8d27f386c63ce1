"""An invitation token never travels in a URL, so no access log or proxy log can hand it out.

The attack this closes: a token read from the access log (`GET /api/invites/<token>`) registered
an admin passkey. Now the link carries the token in its fragment and the app sends it in a header.
"""

from __future__ import annotations

import logging

import pytest
from httpx import ASGITransport, AsyncClient

from backend.identity.invites import INVITE_TOKEN_HEADER
from backend.identity.tables import Staff
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY
from tests.unit.identity.soft_authenticator import SoftAuthenticator


class RequestLines:
    """Records what an access log line is made of: the method, the path and the query string."""

    def __init__(self, app) -> None:
        self.app, self.lines = app, []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            self.lines.append(f"{scope['method']} {scope.get('raw_path', b'').decode()} {query}")
            self.lines.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.fixture
async def logged_client(app_client):
    """A phone whose every request line is recorded, as uvicorn's access log would write it."""
    lines = RequestLines(app_client.app)
    async with AsyncClient(
        transport=ASGITransport(app=lines), base_url="http://localhost:8000"
    ) as client:
        client.app = app_client.app
        client.lines = lines.lines
        yield client


async def test_an_invited_officer_registers_and_the_token_is_in_no_request_line_or_log(
    app_client, logged_client, caplog
):
    caplog.set_level(logging.DEBUG)
    admin = await signed_in(app_client, "admin", AGENCY, name="王管理员")
    made = await app_client.post(
        "/api/invites", json={"name": "李警官", "roles": ["officer"]}, headers=admin
    )
    link = made.json()["link"]
    assert link.startswith("http://localhost:8000/#invite=")
    token = link.split("#invite=", 1)[1]

    # The phone opens the link; the app sends the token in a header.
    info = await logged_client.get("/api/invite", headers={INVITE_TOKEN_HEADER: token})
    assert info.status_code == 200, info.text
    assert info.json()["name"] == "李警官"
    credential = SoftAuthenticator().register(info.json()["options"])
    registered = await logged_client.post(
        "/api/invite/passkey",
        json={"credential": credential, "label": "李警官的手机"},
        headers={INVITE_TOKEN_HEADER: token},
    )
    assert registered.status_code == 201, registered.text
    session = logged_client.cookies["casetrail_session"]
    assert (await logged_client.get("/api/me")).json()["name"] == "李警官"

    written = "\n".join(logged_client.lines) + "\n" + caplog.text
    assert token not in written
    assert session not in written


async def test_the_old_path_form_opens_nothing(app_client, another_client):
    admin = await signed_in(app_client, "admin", AGENCY)
    made = await app_client.post("/api/invites", json={"roles": ["admin"]}, headers=admin)
    token = made.json()["link"].split("#invite=", 1)[1]
    staff = await Staff.count()

    opened = await another_client.get(f"/api/invites/{token}")
    used = await another_client.post(
        f"/api/invites/{token}/passkey", json={"credential": {"id": "x"}}
    )

    assert opened.status_code in (404, 405) and used.status_code in (404, 405)
    assert await Staff.count() == staff
    # The same token in the header still opens the invitation: nothing was used up.
    still = await another_client.get("/api/invite", headers={INVITE_TOKEN_HEADER: token})
    assert still.status_code == 200


async def test_no_token_or_a_wrong_token_in_the_header_is_not_found(another_client):
    for headers in ({}, {INVITE_TOKEN_HEADER: "guessed"}):
        answer = await another_client.get("/api/invite", headers=headers)
        assert answer.status_code == 404 and answer.json()["code"] == "invite_not_found"
