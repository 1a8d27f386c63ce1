"""An officer's record forms start with their own 执法证号: the app learns it from who they are."""

from __future__ import annotations

import uuid

from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER


async def test_an_officer_sees_their_own_certificate_number_and_nobody_elses(
    app_client, another_client
):
    admin = await signed_in(app_client, "admin", AGENCY)
    officer = await signed_in(another_client, "officer", AGENCY, name="赵执法")
    assert (await another_client.get("/api/me")).json()["cert_number"] is None
    changed = await app_client.patch(
        f"/api/staff/{officer.staff_id}",
        json={"client_id": str(uuid.uuid4()), "cert_number": "湘0402001234"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    me = (await another_client.get("/api/me")).json()
    assert me["staff_id"] == officer.staff_id and me["cert_number"] == "湘0402001234"
    # The admin's own answer is theirs: no colleague's number leaks into it.
    assert (await app_client.get("/api/me")).json()["cert_number"] is None
    # Another agency's admin cannot set it (and so cannot plant a number in this officer's forms).
    outsider = await signed_in(app_client, "admin", OTHER)
    refused = await app_client.patch(
        f"/api/staff/{officer.staff_id}",
        json={"client_id": str(uuid.uuid4()), "cert_number": "伪造"},
        headers=outsider,
    )
    assert refused.status_code in (403, 404), refused.text
    assert (await another_client.get("/api/me")).json()["cert_number"] == "湘0402001234"
