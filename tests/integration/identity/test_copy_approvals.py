"""Hebei §16 (copying enforcement records needs the unit head's approval) and mingshan §34 (a party
may have a copy once the head agrees): an approval names the records and who the copy is for, and
each copy is checked against it — not any copy of anything for a day."""

from __future__ import annotations

import uuid

from httpx import ASGITransport, AsyncClient

from tests.integration.conftest import signed_in
from tests.integration.identity.people import add_note, open_case, sign

HEBEI, OTHER = "hebei-hrss", "pingluo-transport"
PARTY = "王某（当事人）"


async def requests_on(client, case_id: str) -> list[dict]:
    page = (await client.get(f"/api/cases/{case_id}/timeline?limit=1000")).json()
    return [e for e in page["entries"] if e["kind"] == "export.requested"]


async def ask(client, headers, case_id: str, **body):
    body = {"scope": "copy", "purpose": "当事人申请复制", "client_id": str(uuid.uuid4()), **body}
    return await client.post(f"/api/cases/{case_id}/exports", json=body, headers=headers)


async def copy(client, headers, case_id: str, items: list[str], recipient: str = PARTY):
    body = {"items": items, "recipient": recipient}
    return await client.post(f"/api/cases/{case_id}/copies", json=body, headers=headers)


async def test_hebei_art16_a_copy_approval_covers_only_the_named_records_for_the_named_recipient(
    app_client, another_client
):
    async with AsyncClient(
        transport=ASGITransport(app=app_client.app), base_url="http://localhost:8000"
    ) as third:
        third.app = app_client.app  # type: ignore[attr-defined]
        colleague = await signed_in(third, "officer", HEBEI, name="李执法")
        officer = await signed_in(app_client, "officer", HEBEI, name="张执法")
        case_id = await open_case(app_client, officer, officers=[colleague.staff_id])
        statement = (await add_note(app_client, officer, case_id, "询问笔录"))["hash"]
        site = (await add_note(app_client, officer, case_id, "现场检查笔录"))["hash"]

        # A request that does not say what, or for whom, is refused and leaves nothing behind.
        no_items = await ask(app_client, officer, case_id, recipient=PARTY)
        assert no_items.status_code == 400 and no_items.json()["code"] == "copy_items_required"
        nobody = await ask(app_client, officer, case_id, items=[statement])
        assert nobody.status_code == 400 and nobody.json()["code"] == "copy_recipient_required"
        whole = await ask(app_client, officer, case_id, scope="export", items=[statement])
        assert whole.status_code == 400 and whole.json()["code"] == "export_takes_no_items"

        # Another agency's officer cannot have our record approved through their own case.
        stranger = await signed_in(another_client, "officer", OTHER, name="外单位")
        theirs = await open_case(another_client, stranger)
        borrowed = await ask(
            another_client, stranger, theirs, items=[statement], recipient="外单位"
        )
        assert borrowed.status_code == 400 and borrowed.json()["code"] == "copy_item_not_in_case"
        assert await requests_on(another_client, theirs) == []
        assert await requests_on(app_client, case_id) == []

        request = await ask(app_client, officer, case_id, items=[statement], recipient=PARTY)
        assert request.status_code == 201, request.text
        assert request.json()["payload"]["items"] == [statement]

        # The approver is shown what is asked: which records, for whom, why.
        approver = await signed_in(another_client, "approver", HEBEI, name="赵局长")
        waiting = (await another_client.get("/api/review/approvals", headers=approver)).json()
        [item] = [w for w in waiting if w["entry_hash"] == request.json()["hash"]]
        asks = item["asks"]
        assert asks["scope"] == "copy" and asks["recipient"] == PARTY
        assert asks["purpose"] == "当事人申请复制"
        assert [i["kind"] for i in asks["items"]] == ["note"]
        signed = await sign(
            another_client,
            approver,
            approver.authenticator,
            request.json()["hash"],
            "approve_export",
        )
        assert signed.status_code == 201, signed.text

        permission = (
            await app_client.get(f"/api/cases/{case_id}/exports/permission?scope=copy")
        ).json()
        assert permission["items"] == [statement] and permission["recipient"] == PARTY

        copied = await copy(app_client, officer, case_id, [statement])
        assert copied.status_code == 201, copied.text
        # Something else, for someone else, or by someone else: each is its own clear refusal.
        other_record = await copy(app_client, officer, case_id, [statement, site])
        assert other_record.status_code == 403
        assert other_record.json()["code"] == "copy_not_approved"
        other_person = await copy(app_client, officer, case_id, [statement], "李某（律师）")
        assert other_person.status_code == 403
        assert other_person.json()["code"] == "copy_recipient_not_approved"
        by_colleague = await copy(third, colleague, case_id, [statement])
        assert by_colleague.status_code == 403
        assert by_colleague.json()["code"] == "copy_approved_for_someone_else"
        outsider = await copy(another_client, stranger, case_id, [statement])
        assert outsider.status_code in (403, 404)

        page = (await app_client.get(f"/api/cases/{case_id}/timeline?limit=1000")).json()
        copies = [
            e["payload"]
            for e in page["entries"]
            if e["kind"] == "access.viewed" and e["payload"]["action"] == "copy"
        ]
        assert [c["what"] for c in copies] == [f"note {statement}"]
        assert copies[0]["permission"] == copied.json()["permission"]
        assert copies[0]["staff_id"] == officer.staff_id


async def test_mingshan_art34_an_approval_given_before_copies_named_anything_allows_no_copy(
    app_client, another_client
):
    """An approval from before this rule names no records: it lets nothing be copied."""
    from backend.identity.exports import PERMISSION_VALID
    from backend.ledger.entry import Draft, utc_iso

    officer = await signed_in(app_client, "officer", "mingshan-emergency", name="张执法")
    case_id = await open_case(app_client, officer)
    record = (await add_note(app_client, officer, case_id, "询问笔录"))["hash"]
    ledger = app_client.app.state.ledger
    old = await ledger.append(
        Draft(
            case_id,
            "export.approved",
            str(uuid.uuid4()),
            {
                "request": "0" * 64,
                "signature": "1" * 64,
                "approver": "head-1",
                "staff_id": officer.staff_id,
                "scope": "copy",
                "valid_until": utc_iso(ledger.clock() + PERMISSION_VALID),
            },
            actor="head-1",
        )
    )
    refused = await copy(app_client, officer, case_id, [record])
    assert refused.status_code == 403 and refused.json()["code"] == "copy_not_approved"
    assert old.hash
