"""Approvers hear about every kind of approval — a copy request too — in the language they chose."""

from __future__ import annotations

import uuid

from backend.notify import sending
from backend.notify.recipients import Notifier
from backend.notify.sending import Pusher
from tests.integration.conftest import signed_in
from tests.integration.identity.people import add_note, open_case
from tests.integration.notify.test_push import Device, b64url
from tests.integration.notify.test_push import push_service as push_service  # noqa: F401

HEBEI, OTHER = "hebei-hrss", "pingluo-transport"


async def subscribe(device: Device, who) -> None:
    await sending.subscribe(endpoint=device.endpoint, p256dh=device.p256dh, auth=b64url(device.auth),
                            staff_id=who.staff_id, agency_id=who.agency_id, roles=who.roles)  # fmt: skip


async def test_a_copy_request_reaches_each_approver_in_their_own_language(
    app_client,
    another_client,
    push_service,  # noqa: F811 - the fixture imported above
    settings,
):
    english = await signed_in(another_client, "approver", HEBEI, name="Approver Li")
    chose = await another_client.put(
        "/api/notify/language", json={"language": "en"}, headers=english
    )
    assert chose.status_code == 200, chose.text
    assert (await another_client.get("/api/notify/language")).json() == {"language": "en"}
    chinese = await signed_in(another_client, "approver", HEBEI, name="钱审批")
    assert (await another_client.get("/api/notify/language")).json() == {"language": "zh-CN"}
    elsewhere = await signed_in(another_client, "approver", OTHER, name="外机关审批")
    phones = {who.staff_id: Device(f"{push_service.url}/push/{n}") for n, who in
              enumerate((english, chinese, elsewhere))}  # fmt: skip
    for who in (english, chinese, elsewhere):
        await subscribe(phones[who.staff_id], who)
    ledger = app_client.app.state.ledger
    notifier = Notifier(ledger, Pusher(settings.keys_dir))
    ledger.on_append(notifier.on_entries)

    officer = await signed_in(app_client, "officer", HEBEI, name="张执法")
    case_id = await open_case(app_client, officer)
    record = (await add_note(app_client, officer, case_id, "询问笔录"))["hash"]
    asked = await app_client.post(
        f"/api/cases/{case_id}/exports",
        json={"scope": "copy", "items": [record], "recipient": "王某（当事人）",
              "purpose": "当事人申请复制", "client_id": str(uuid.uuid4())},
        headers=officer,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    await notifier.drain()

    heard = {r["path"]: r["body"] for r in push_service.received}
    assert sorted(heard) == ["/push/0", "/push/1"]  # the other agency's approver hears nothing
    in_english = phones[english.staff_id].decrypt(heard["/push/0"])
    in_chinese = phones[chinese.staff_id].decrypt(heard["/push/1"])
    assert in_english["title"] == "Approval waiting: a copy of records"
    assert in_english["body"] == "Read it, then decide with your passkey."
    assert in_chinese["title"] == "待审批：复制记录申请"
    assert (
        in_english["url"] == in_chinese["url"] == f"#/review/approvals?entry={asked.json()['hash']}"
    )


async def test_a_language_nobody_offers_is_refused_and_the_choice_stays(app_client):
    officer = await signed_in(app_client, "officer", HEBEI)
    assert (
        await app_client.put("/api/notify/language", json={"language": "en"}, headers=officer)
    ).status_code == 200
    for bad in ({"language": "fr"}, {"language": ""}, {"language": "en", "staff_id": "x"}, {}):
        refused = await app_client.put("/api/notify/language", json=bad, headers=officer)
        assert refused.status_code == 400, (bad, refused.text)
    assert (await app_client.get("/api/notify/language")).json() == {"language": "en"}
    app_client.cookies.clear()
    assert (await app_client.put("/api/notify/language", json={"language": "en"})).status_code in (
        401,
        403,
    )
