"""A legal reviewer checks how the agency kept its evidence: its own agency timeline, never another's."""

from __future__ import annotations

from tests.integration.conftest import signed_in

OURS, THEIRS = "pingluo-transport", "hebei-hrss"


async def test_a_legal_reviewer_reads_the_agency_timeline_of_passkeys_and_staff(app_client):
    await signed_in(app_client, "admin", OURS, name="管理员")
    reviewer = await signed_in(app_client, "legal_reviewer", OURS, name="法制审核员")
    answer = await app_client.get(
        f"/api/cases/agency:{OURS}/timeline", params={"limit": 1000}, headers=reviewer
    )
    assert answer.status_code == 200, answer.text
    kinds = {e["kind"] for e in answer.json()["entries"]}
    assert any(k.startswith("passkey.") for k in kinds), kinds


async def test_a_legal_reviewer_of_another_agency_cannot_read_ours(app_client, another_client):
    await signed_in(app_client, "admin", OURS)
    stranger = await signed_in(another_client, "legal_reviewer", THEIRS)
    answer = await another_client.get(
        f"/api/cases/agency:{OURS}/timeline", params={"limit": 1000}, headers=stranger
    )
    assert answer.status_code in (403, 404), answer.text
    assert "entries" not in answer.json()


async def test_an_officer_still_cannot_read_the_agency_timeline(app_client):
    officer = await signed_in(app_client, "officer", OURS)
    answer = await app_client.get(f"/api/cases/agency:{OURS}/timeline", headers=officer)
    assert answer.status_code in (403, 404)
