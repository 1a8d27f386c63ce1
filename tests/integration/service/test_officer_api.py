"""An officer makes a link through the API (token once, QR for on-site use), lists and revokes it."""

from __future__ import annotations

from backend.ledger.entry import Draft
from tests.integration.conftest import signed_in
from tests.integration.service.conftest import AGENCY, as_party


async def test_an_officer_makes_a_link_with_a_qr_code_then_revokes_it(app_client, world):
    me = await signed_in(app_client, "officer", AGENCY)
    await world.ledger.append(
        Draft(
            world.case_id,
            "case.member_added",
            f"m-{me.staff_id}",
            {"staff_id": me.staff_id, "role": "handler"},
        )
    )
    document = await world.document()
    body = {"client_id": "link-api-1", "document_entry": document.hash}
    refused = await app_client.post(
        f"/api/cases/{world.case_id}/service/links", json=body, headers=me
    )
    assert refused.status_code == 409 and refused.json()["code"] == "no_consent"
    await world.consent()
    made = await app_client.post(f"/api/cases/{world.case_id}/service/links", json=body, headers=me)
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["token"] and out["url"].endswith(out["token"])
    assert out["qr_svg"].lstrip().startswith("<svg") and out["qr_png_base64"]
    again = await app_client.post(
        f"/api/cases/{world.case_id}/service/links", json=body, headers=me
    )
    assert again.status_code == 201 and again.json()["token"] is None
    assert (await app_client.get("/api/party", headers=as_party(out["token"]))).status_code == 200
    listed = (await app_client.get(f"/api/cases/{world.case_id}/service/links", headers=me)).json()
    assert [x["status"] for x in listed] == ["active"] and listed[0]["served_at"]
    link_entry = out["link"]["link_entry"]
    revoked = await app_client.post(
        f"/api/cases/{world.case_id}/service/links/{link_entry}/revoke",
        json={"reason": "送错文书"},
        headers=me,
    )
    assert revoked.status_code == 201
    assert (await app_client.get("/api/party", headers=as_party(out["token"]))).status_code == 404
