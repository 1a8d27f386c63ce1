"""Two officers co-sign one record on one phone: the second names themselves and uses their own passkey."""

from __future__ import annotations

from backend.identity.signatures import verify_signatures
from backend.identity.tables import Passkey
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, add_note, log_size, open_case


async def options_for(client, headers, entry_hash, meaning="co_sign", signer=None):
    body = {"meaning": meaning, **({"signer": signer} if signer else {})}
    return await client.post(
        f"/api/entries/{entry_hash}/signatures/options", json=body, headers=headers
    )


async def send(client, headers, entry_hash, assertion, meaning="co_sign", signer=None):
    body = {"meaning": meaning, "credential": assertion, **({"signer": signer} if signer else {})}
    return await client.post(f"/api/entries/{entry_hash}/signatures", json=body, headers=headers)


async def two_officers_on_one_phone(app_client, another_client):
    """Officer 张 signed in on the phone; officer 李, on the case, has a passkey on the same phone."""
    first = await signed_in(app_client, "officer", AGENCY, name="张")
    second = await signed_in(another_client, "officer", AGENCY, name="李")
    case_id = await open_case(app_client, first, officers=[second.staff_id])
    record = await add_note(app_client, first, case_id, "现场检查笔录")
    phone = first.authenticator
    phone.credentials.update(second.authenticator.credentials)
    return first, second, case_id, record, phone


async def test_the_second_officer_picks_themselves_and_signs_on_the_first_officers_phone(
    app_client, another_client
):
    first, second, case_id, record, phone = await two_officers_on_one_phone(
        app_client, another_client
    )
    listed = (
        await app_client.get(f"/api/entries/{record['hash']}/signatures/signers", headers=first)
    ).json()
    assert {(s["name"], s["signed"]) for s in listed} == {("张", False), ("李", False)}

    mine = await options_for(app_client, first, record["hash"])
    one = await send(
        app_client,
        first,
        record["hash"],
        phone.assert_(mine.json(), credential_id=first.credential_id),
    )
    assert one.status_code == 201, one.text

    theirs = await options_for(app_client, first, record["hash"], signer=second.staff_id)
    assert theirs.status_code == 200, theirs.text
    # Only 李's passkey may answer, so the phone does not offer 张's again.
    assert [c["id"] for c in theirs.json()["allowCredentials"]] == [second.credential_id]
    assertion = phone.assert_(theirs.json(), credential_id=second.credential_id)
    two = await send(app_client, first, record["hash"], assertion, signer=second.staff_id)
    assert two.status_code == 201, two.text
    assert (
        two.json()["actor"] == second.staff_id and two.json()["payload"]["signs"] == record["hash"]
    )
    # 张 is still the one signed in on the phone.
    assert (await app_client.get("/api/me")).json()["staff_id"] == first.staff_id

    listed = (
        await app_client.get(f"/api/entries/{record['hash']}/signatures/signers", headers=first)
    ).json()
    assert all(s["signed"] for s in listed)
    assert await verify_signatures(app_client.app.state.ledger, case_id) == []


async def test_a_colleague_who_is_not_on_the_case_cannot_co_sign(app_client, another_client):
    first = await signed_in(app_client, "officer", AGENCY, name="张")
    stranger = await signed_in(another_client, "officer", AGENCY, name="王")
    case_id = await open_case(app_client, first)
    record = await add_note(app_client, first, case_id)
    phone = first.authenticator
    phone.credentials.update(stranger.authenticator.credentials)
    size = await log_size(app_client)

    named = await options_for(app_client, first, record["hash"], signer=stranger.staff_id)
    assert named.status_code == 403 and named.json()["code"] == "not_member"
    plain = await options_for(app_client, first, record["hash"])
    sent = await send(
        app_client,
        first,
        record["hash"],
        phone.assert_(plain.json(), credential_id=stranger.credential_id),
    )
    assert sent.status_code == 403 and sent.json()["code"] == "not_member"
    assert await log_size(app_client) == size
    assert case_id


async def test_the_passkey_that_answers_must_be_the_named_colleagues(app_client, another_client):
    first, second, _, record, phone = await two_officers_on_one_phone(app_client, another_client)
    size = await log_size(app_client)
    options = await options_for(app_client, first, record["hash"], signer=second.staff_id)
    # 张 touches the sensor although 李 was named.
    wrong = phone.assert_(options.json(), credential_id=first.credential_id)
    sent = await send(app_client, first, record["hash"], wrong, signer=second.staff_id)
    assert sent.status_code == 403 and sent.json()["code"] == "wrong_signer"
    assert await log_size(app_client) == size


async def test_the_same_officer_cannot_co_sign_twice_even_with_another_passkey(app_client):
    officer = await signed_in(app_client, "officer", AGENCY, name="张")
    case_id = await open_case(app_client, officer)
    record = await add_note(app_client, officer, case_id)
    phone = officer.authenticator
    first = await options_for(app_client, officer, record["hash"])
    signed = await send(app_client, officer, record["hash"], phone.assert_(first.json()))
    assert signed.status_code == 201, signed.text
    # A second passkey of the same officer (say, the tablet's) is still the same officer.
    add = (await app_client.post("/api/passkeys/options", headers=officer)).json()
    tablet = phone.register(add)
    added = await app_client.post(
        "/api/passkeys", json={"credential": tablet, "label": "tablet"}, headers=officer
    )
    assert added.status_code == 201, added.text
    size = await log_size(app_client)
    again = await options_for(app_client, officer, record["hash"])
    twice = await send(
        app_client, officer, record["hash"], phone.assert_(again.json(), credential_id=tablet["id"])
    )
    assert twice.status_code == 409 and twice.json()["code"] == "already_signed"
    assert await log_size(app_client) == size


async def test_a_captured_answer_replayed_under_another_meaning_is_refused(
    app_client, another_client
):
    first, second, _, record, phone = await two_officers_on_one_phone(app_client, another_client)
    # Synced passkeys report no signature counter, so the counter cannot reveal a replay.
    phone.credentials[second.credential_id]["count"] = 0
    await Passkey.update({Passkey.sign_count: 0}).where(
        Passkey.credential_id == second.credential_id
    )
    options = await options_for(app_client, first, record["hash"], signer=second.staff_id)
    answer = phone.assert_(options.json(), credential_id=second.credential_id, count_step=0)
    signed = await send(app_client, first, record["hash"], answer, signer=second.staff_id)
    assert signed.status_code == 201, signed.text
    size = await log_size(app_client)
    # The phone kept 李's answer; the challenge (the record hash) does not change with the meaning.
    replayed = await send(
        app_client, first, record["hash"], answer, "attest_refusal", second.staff_id
    )
    assert replayed.status_code == 409 and replayed.json()["code"] == "replayed_assertion"
    padded = {**answer, "response": {**answer["response"]}}
    padded["response"]["clientDataJSON"] += "="  # same bytes, other text
    respelt = await send(
        app_client, first, record["hash"], padded, "attest_refusal", second.staff_id
    )
    assert respelt.status_code == 409 and respelt.json()["code"] == "replayed_assertion"
    assert await log_size(app_client) == size
