"""A party asks through their link to view or copy records (hebei §17, mingshan §34, zhengxiang §32).

The unit head approves or refuses with a reason; confidential records are never handed over;
approved copies come through the link for a limited time, each download recorded on the case.
"""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader

from backend.service import links, record_copies
from backend.service.tables import ServiceLink
from tests.integration.identity.people import sign
from tests.integration.service.conftest import as_party, now


async def served_case(app_client, world):
    """A case with a served decision, an inquiry and a confidential inquiry; the link is opened."""
    await world.consent()
    made = await world.link()
    inquiry = await world.add(
        "record.inquiry", {"person": "张三丰", "transcript": "问：你是否拖欠工资？答：是。"}
    )
    secret = await world.add(
        "record.inquiry",
        {"person": "举报人", "transcript": "举报人陈述。", "confidentiality": "privacy"},
    )
    opened = await app_client.get("/api/party", headers=as_party(made.token))
    assert opened.status_code == 200, opened.text
    return made, inquiry, secret


async def kinds(world) -> list[str]:
    return [e.kind for e in await world.ledger.whole_timeline(world.case_id)]


async def ask(app_client, token, items, purpose="copy"):
    return await app_client.post(
        "/api/party/copy-requests",
        json={"purpose": purpose, "items": items, "note": "申请行政复议需要"},
        headers=as_party(token),
    )


async def test_the_party_asks_for_copies_the_head_approves_and_each_download_is_recorded(
    app_client, world, sign_in
):
    made, inquiry, secret = await served_case(app_client, world)
    listed = (await app_client.get("/api/party/records", headers=as_party(made.token))).json()
    by_hash = {r["entry_hash"]: r for r in listed["records"]}
    document = made.entry.payload["document_entry"]
    assert by_hash[document]["title"] == "行政处罚决定书"
    assert (
        by_hash[inquiry.hash]["title"] == "询问笔录" and not by_hash[inquiry.hash]["confidential"]
    )
    assert by_hash[secret.hash]["confidential"]

    asked = await ask(app_client, made.token, [document, inquiry.hash])
    assert asked.status_code == 201, asked.text
    [request] = asked.json()["requests"]
    assert request["state"] == "waiting"

    head = await sign_in(app_client, "approver", world_agency(world))
    queue = (await app_client.get("/api/review/approvals", headers=head)).json()
    [waiting] = [i for i in queue if i["kind"] == "party.copy_requested"]
    assert waiting["asks"]["scope"] == "party_copy"
    assert [i["entry_hash"] for i in waiting["asks"]["items"]] == [document, inquiry.hash]
    signed = await sign(app_client, head, head.authenticator, request["request"], "approve")
    assert signed.status_code == 201, signed.text
    queue = (await app_client.get("/api/review/approvals", headers=head)).json()
    assert not [i for i in queue if i["kind"] == "party.copy_requested"]

    [request] = (await app_client.get("/api/party/records", headers=as_party(made.token))).json()[
        "requests"
    ]
    assert request["state"] == "approved" and request["valid_until"]
    paper = await app_client.get(
        f"/api/party/copies/{request['request']}/{document}", headers=as_party(made.token)
    )
    assert paper.status_code == 200 and paper.content.startswith(b"%PDF-")
    record = await app_client.get(
        f"/api/party/copies/{request['request']}/{inquiry.hash}", headers=as_party(made.token)
    )
    assert record.status_code == 200, record.text
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(record.content)).pages)
    assert "询问笔录（复制件）" in text and "问：你是否拖欠工资？" in text
    downloads = [
        e
        for e in await world.ledger.whole_timeline(world.case_id)
        if e.kind == "party.copy_downloaded"
    ]
    assert [d.payload["item"] for d in downloads] == [document, inquiry.hash]


def world_agency(world) -> str:
    return world.opened.payload["agency_id"]


async def test_a_refusal_reaches_the_party_with_its_reason_and_nothing_can_be_downloaded(
    app_client, world, sign_in
):
    made, inquiry, _ = await served_case(app_client, world)
    request = (await ask(app_client, made.token, [inquiry.hash], "view")).json()["requests"][0]
    head = await sign_in(app_client, "approver", world_agency(world))
    sent_back = await sign(
        app_client, head, head.authenticator, request["request"], "return", comment="补正"
    )
    assert sent_back.status_code == 400 and sent_back.json()["code"] == "party_request_needs_answer"
    refused = await sign(
        app_client, head, head.authenticator, request["request"], "refuse",
        comment="该笔录涉及案件调查，调查终结前不予查阅",
    )  # fmt: skip
    assert refused.status_code == 201, refused.text
    [request] = (await app_client.get("/api/party/records", headers=as_party(made.token))).json()[
        "requests"
    ]
    assert request["state"] == "refused"
    assert request["reason"] == "该笔录涉及案件调查，调查终结前不予查阅"
    denied = await app_client.get(
        f"/api/party/copies/{request['request']}/{inquiry.hash}", headers=as_party(made.token)
    )
    assert denied.status_code == 403 and denied.json()["code"] == "copy_not_approved"
    assert "party.copy_downloaded" not in await kinds(world)


async def test_confidential_and_foreign_records_cannot_be_asked_for(app_client, world):
    made, _, secret = await served_case(app_client, world)
    before = await kinds(world)
    confidential = await ask(app_client, made.token, [secret.hash])
    assert confidential.status_code == 403 and confidential.json()["code"] == "record_confidential"
    foreign = await ask(app_client, made.token, ["a" * 64])
    assert foreign.status_code == 400 and foreign.json()["code"] == "copy_item_not_in_case"
    # The link entry itself is on the case but is no record of it.
    internal = await ask(app_client, made.token, [made.entry.hash])
    assert internal.status_code == 400 and internal.json()["code"] == "copy_item_not_in_case"
    assert await kinds(world) == before


async def test_another_partys_link_cannot_use_this_request_and_dead_links_open_nothing(
    app_client, world, sign_in
):
    made, inquiry, _ = await served_case(app_client, world)
    request = (await ask(app_client, made.token, [inquiry.hash])).json()["requests"][0]
    head = await sign_in(app_client, "approver", world_agency(world))
    assert (await sign(app_client, head, head.authenticator, request["request"])).status_code == 201
    other = await world.link()
    await app_client.get("/api/party", headers=as_party(other.token))
    borrowed = await app_client.get(
        f"/api/party/copies/{request['request']}/{inquiry.hash}", headers=as_party(other.token)
    )
    assert borrowed.status_code == 404 and borrowed.json()["code"] == "copy_request_not_found"

    await links.revoke_link(
        world.ledger, case_id=world.case_id, link_entry=made.entry.hash, actor="officer-1",
        reason="送达地址有误",
    )  # fmt: skip
    url = f"/api/party/copies/{request['request']}/{inquiry.hash}"
    revoked = await app_client.get(url, headers=as_party(made.token))
    assert revoked.status_code == 404 and revoked.json()["code"] == "link_unavailable"
    await ServiceLink.update({ServiceLink.expires_at: now() - timedelta(minutes=1)}).where(
        ServiceLink.link_entry == other.entry.hash
    )
    for path in ("/api/party/records", "/api/party/copy-requests"):
        expired = await app_client.get(path, headers=as_party(other.token))
        assert expired.status_code in (404, 405)
    expired = await ask(app_client, other.token, [inquiry.hash])
    assert expired.status_code == 404 and expired.json()["code"] == "link_unavailable"
    assert "party.copy_downloaded" not in await kinds(world)


async def test_an_approval_runs_out_and_another_agencys_head_cannot_answer(
    app_client, another_client, world, sign_in, monkeypatch
):
    made, inquiry, _ = await served_case(app_client, world)
    request = (await ask(app_client, made.token, [inquiry.hash])).json()["requests"][0]
    stranger = await sign_in(another_client, "approver", "pingluo-transport")
    theirs = await another_client.post(
        f"/api/entries/{request['request']}/signatures/options",
        json={"meaning": "approve"},
        headers=stranger,
    )
    assert theirs.status_code == 403 and theirs.json()["code"] == "other_agency"
    assert "party.copy_decided" not in await kinds(world)

    monkeypatch.setattr(record_copies, "COPY_VALID", timedelta(seconds=-1))
    head = await sign_in(app_client, "approver", world_agency(world))
    assert (await sign(app_client, head, head.authenticator, request["request"])).status_code == 201
    late = await app_client.get(
        f"/api/party/copies/{request['request']}/{inquiry.hash}", headers=as_party(made.token)
    )
    assert late.status_code == 403 and late.json()["code"] == "copy_expired"
    assert "party.copy_downloaded" not in await kinds(world)
