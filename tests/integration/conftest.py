"""Signed-in API clients for every domain's API tests, through identity's real passkey endpoints.

    headers = await signed_in(app_client, "officer", "zhengxiang-hrss")
    await app_client.post("/api/cases", json=..., headers=headers)

`signed_in` invites a staff member, registers a passkey made by a software authenticator, signs
in through `/api/session` and leaves the session cookie on the client. The returned headers carry
the CSRF token; `.staff_id` and `.authenticator` are on the returned object too. One client holds
one session at a time: use one client per person (`another_client`) when a test needs two people.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from backend.identity.invites import INVITE_TOKEN_HEADER, create_invite
from tests.unit.identity.soft_authenticator import SoftAuthenticator


class SignedIn(dict):
    """CSRF headers for the signed-in client, plus who it is and the authenticator it used."""

    staff_id: str
    agency_id: str
    roles: list[str]
    authenticator: SoftAuthenticator
    credential_id: str


async def signed_in(
    client,
    role: str | list[str] = "officer",
    agency_id: str = "a1",
    name: str = "",
    authenticator: SoftAuthenticator | None = None,
) -> SignedIn:
    """Create staff with `role`(s) in `agency_id`, register a passkey and sign in through the API."""
    roles = [role] if isinstance(role, str) else list(role)
    settings = client.app.state.settings
    invite = await create_invite(settings, agency_id, roles, name=name or f"{roles[0]}-test")
    token = invite["token"]
    origin = settings.origins[0]
    device = authenticator or SoftAuthenticator(origin=origin, rp_id=settings.rp_id)
    carried = {INVITE_TOKEN_HEADER: token}  # as the app sends it: never in the URL
    info = await client.get("/api/invite", headers=carried)
    assert info.status_code == 200, info.text
    credential = device.register(info.json()["options"])
    registered = await client.post(
        "/api/invite/passkey",
        json={"credential": credential, "label": "test phone"},
        headers=carried,
    )
    assert registered.status_code == 201, registered.text
    client.cookies.clear()
    options = (await client.post("/api/session/options")).json()
    answer = await client.post(
        "/api/session", json={"credential": device.assert_(options, credential_id=credential["id"])}
    )
    assert answer.status_code == 200, answer.text
    out = SignedIn({"x-csrftoken": client.cookies["csrftoken"]})
    out.staff_id = answer.json()["staff_id"]
    out.agency_id = agency_id
    out.roles = roles
    out.authenticator = device
    out.credential_id = credential["id"]
    return out


@pytest.fixture
def sign_in() -> Callable:
    """The `signed_in` helper as a fixture."""
    return signed_in


@pytest.fixture
async def another_client(app_client) -> AsyncIterator:
    """A second browser against the same running app (its own cookies)."""
    from httpx import ASGITransport, AsyncClient

    async with AsyncClient(
        transport=ASGITransport(app=app_client.app), base_url="http://localhost:8000"
    ) as other:
        other.app = app_client.app  # type: ignore[attr-defined]
        yield other


@pytest.fixture
def blobs(settings):
    """The data directory's blob store, as the running app has it."""
    from backend.blobstore import make_blob_store

    return make_blob_store(settings.blob_store, settings.data_dir)


@pytest.fixture
async def projected(ledger):
    """Every declared projection (cases, evidence, membership, the reminders' deadlines) follows
    the ledger, as in the running app."""
    from backend.runtime import projection_modules

    for module in projection_modules():
        await module.register(ledger)
    return ledger
