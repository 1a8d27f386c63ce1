"""An officer records the party's consent to electronic service (电子送达确认书) through its own endpoint,
with the signed form as evidence uploaded to the case; only then can a link be made."""

from __future__ import annotations

import uuid
from collections import defaultdict

from backend.ledger.entry import Draft
from tests.integration.conftest import signed_in
from tests.integration.service.conftest import AGENCY, PARTY, World


async def member(app_client, world, role: str = "officer", agency: str = AGENCY):
    me = await signed_in(app_client, role, agency)
    await world.ledger.append(
        Draft(
            world.case_id,
            "case.member_added",
            f"m-{me.staff_id}",
            {"staff_id": me.staff_id, "role": "handler"},
        )
    )
    return me


async def photo_of_signed_form(world, case_world=None) -> str:
    """A photo uploaded to the case (finalised as media.photo, as the outbox would)."""
    target = case_world or world
    sha = await target.put(f"signed consent form {target.case_id}".encode())
    await target.add(
        "media.photo",
        {"sha256": sha, "media_type": "image/jpeg", "size": 40, "findings": []},
        blobs=(sha,),
    )
    return sha


# Client ids are UUIDs the device makes; one per consent the officer sends.
ids: dict[str, str] = defaultdict(lambda: str(uuid.uuid4()))


def consent_body(client_id: str, **payload) -> dict:
    return {
        "kind": "service.consent",
        "client_id": client_id,
        "payload": {
            "recipient": PARTY["name"],
            "channels": ["link"],
            "contact": PARTY["phone"],
            **payload,
        },
    }


async def test_consent_with_a_photo_of_the_signed_form_lets_the_officer_make_a_link(
    app_client, world
):
    me = await member(app_client, world)
    form = await photo_of_signed_form(world)
    url = f"/api/cases/{world.case_id}/service/consent"
    made = await app_client.post(
        url, json=consent_body(ids["consent-1"], form_blob=form), headers=me
    )
    assert made.status_code == 201, made.text
    entry = made.json()
    assert entry["kind"] == "service.consent" and entry["actor"] == me.staff_id
    assert entry["blobs"] == [form]
    # Sent again (the outbox retries after a lost answer): the same entry, not a second consent.
    again = await app_client.post(
        url, json=consent_body(ids["consent-1"], form_blob=form), headers=me
    )
    assert again.status_code == 201 and again.json()["hash"] == entry["hash"]
    consents = [
        e for e in await world.ledger.whole_timeline(world.case_id) if e.kind == "service.consent"
    ]
    assert len(consents) == 1
    document = await world.document()
    link = await app_client.post(
        f"/api/cases/{world.case_id}/service/links",
        json={"client_id": "link-after-consent", "document_entry": document.hash},
        headers=me,
    )
    assert link.status_code == 201, link.text


async def test_the_partys_drawn_signature_is_enough_evidence(app_client, world):
    me = await member(app_client, world)
    sha = await world.put(b"\x89PNG signature strokes")
    await world.add(
        "media.signature",
        {"sha256": sha, "media_type": "image/png", "size": 23, "findings": []},
        blobs=(sha,),
    )
    signature = {"role": "party", "name": PARTY["name"], "method": "drawn", "blob": sha}
    made = await app_client.post(
        f"/api/cases/{world.case_id}/service/consent",
        json=consent_body(ids["consent-drawn"], signatures=[signature]),
        headers=me,
    )
    assert made.status_code == 201, made.text
    assert made.json()["blobs"] == [sha]


async def test_consent_without_evidence_or_with_an_unknown_or_foreign_blob_is_refused(
    app_client, world
):
    me = await member(app_client, world)
    url = f"/api/cases/{world.case_id}/service/consent"
    bare = await app_client.post(url, json=consent_body(ids["c-bare"]), headers=me)
    assert bare.status_code == 400 and bare.json()["code"] == "no_consent_evidence"
    missing = await app_client.post(
        url, json=consent_body(ids["c-missing"], form_blob="ab" * 32), headers=me
    )
    assert missing.status_code == 404 and missing.json()["code"] == "blob_not_found"
    # In the store, but uploaded to nobody's case: the officer cannot cite a blob by its hash alone.
    stray = await world.put(b"never finalised into a case")
    loose = await app_client.post(
        url, json=consent_body(ids["c-loose"], form_blob=stray), headers=me
    )
    assert loose.status_code == 404 and loose.json()["code"] == "blob_not_found"
    # Another case's upload: the same answer.
    foreign_case = World(world.ledger, world.blobs, f"{world.case_id}-b", world.opened)
    await world.ledger.append(
        Draft(
            foreign_case.case_id,
            "case.opened",
            f"open-{foreign_case.case_id}",
            {**world.opened.payload},
            actor="officer-1",
        )
    )
    foreign = await photo_of_signed_form(world, foreign_case)
    theirs = await app_client.post(
        url, json=consent_body(ids["c-foreign"], form_blob=foreign), headers=me
    )
    assert theirs.status_code == 404 and theirs.json()["code"] == "blob_not_found"
    nobody = consent_body(ids["c-nobody"], form_blob=await photo_of_signed_form(world))
    nobody["payload"]["recipient"] = "李四"
    refused = await app_client.post(url, json=nobody, headers=me)
    assert refused.status_code == 400 and refused.json()["code"] == "not_a_party"
    wrong_kind = consent_body(ids["c-kind"]) | {"kind": "service.link_created"}
    assert (await app_client.post(url, json=wrong_kind, headers=me)).json()["code"] == "wrong_kind"


async def test_only_case_writers_of_the_agency_record_consent(app_client, world):
    form = await photo_of_signed_form(world)
    url = f"/api/cases/{world.case_id}/service/consent"
    supervisor = await signed_in(app_client, "supervisor", AGENCY)
    seen = await app_client.post(
        url, json=consent_body(ids["c-sup"], form_blob=form), headers=supervisor
    )
    assert seen.status_code == 403 and seen.json()["code"] == "not_member"
    outsider = await signed_in(app_client, "officer", "other-agency")
    away = await app_client.post(
        url, json=consent_body(ids["c-out"], form_blob=form), headers=outsider
    )
    assert away.status_code == 403 and away.json()["code"] == "other_agency"
    # The generic append route still refuses the kind: consent has only this door.
    me = await member(app_client, world)
    generic = await app_client.post(
        f"/api/cases/{world.case_id}/entries",
        json=consent_body(ids["c-generic"], form_blob=form),
        headers=me,
    )
    assert generic.status_code == 403 and generic.json()["code"] == "reserved_kind"
