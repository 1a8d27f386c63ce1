"""Every append is answered with the log's signed promise; a client holding it can prove a
deletion or a rewrite, even of entries appended after the last checkpoint."""

from __future__ import annotations

import json
import uuid

from backend.ledger.entry import canonical, hash_body
from backend.ledger.statements import read_promise
from backend.ledger.verify import verify_database
from tests.integration.cases.test_case_list import open_case
from tests.integration.conftest import signed_in
from tests.integration.ledger.drafts import note
from tests.integration.ledger.test_cli import casetrail
from tests.integration.ledger.test_tamper import drop_guards


async def test_an_officers_append_is_answered_with_a_promise_signed_by_the_log(
    app_client, another_client
):
    ledger = app_client.app.state.ledger
    headers = await signed_in(app_client, "officer", "zhengxiang-hrss")
    case = await open_case(app_client, headers, "某餐馆拖欠工资案")
    body = {"kind": "note", "client_id": str(uuid.uuid4()), "payload": {"text": "到场检查"}}
    url = f"/api/cases/{case['case_id']}/entries"
    answer = await app_client.post(url, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    entry = answer.json()
    promise = read_promise(entry["promise"], ledger.signer.vkey)
    assert (promise.hash, promise.log_index) == (entry["hash"], entry["log_index"])
    assert promise.received_at == entry["received_at"]
    # A resend after a lost answer gets the same promise back.
    again = await app_client.post(url, json=body, headers=headers)
    assert again.json()["promise"] == entry["promise"]
    # Another agency's officer cannot write there, so gets no promise over this case.
    theirs = await signed_in(another_client, "officer", "pingluo-transport")
    refused = await another_client.post(
        url, json={**body, "client_id": str(uuid.uuid4())}, headers=theirs
    )
    assert refused.status_code in (403, 404) and "promise" not in refused.json()


async def a_tail_after_the_checkpoint(ledger):
    for i in range(3):
        await ledger.append(note("case-p", f"第{i}步"))
    await ledger.checkpoint()
    return [await ledger.append(note("case-p", f"未签检查点的第{i}步")) for i in (3, 4)]


async def test_an_entry_deleted_after_the_last_checkpoint_is_caught_by_the_senders_promise(
    ledger, engine
):
    tail = await a_tail_after_the_checkpoint(ledger)
    await drop_guards(engine)
    await engine.run_ddl(f"DELETE FROM ledger_entry WHERE hash = '{tail[-1].hash}'")
    assert (await verify_database(ledger)).ok  # the checkpoint alone cannot see it

    report = await verify_database(ledger, promises=[e.promise for e in tail])
    assert [str(p) for p in report.problems] == [
        f"promised entry {tail[-1].hash} (log index 4): received {tail[-1].body['received_at']} "
        "is missing from the log: deleted or truncated"
    ]


async def test_an_entry_rewritten_after_the_last_checkpoint_is_caught_and_its_case_named(
    ledger, engine, settings, tmp_path
):
    tail = await a_tail_after_the_checkpoint(ledger)
    await drop_guards(engine)
    await engine.run_ddl(f"DELETE FROM ledger_entry WHERE hash = '{tail[-1].hash}'")
    body = dict(tail[-1].body, payload={"text": "从未发生"})
    forged = hash_body(body)
    await engine.run_ddl(
        "INSERT INTO ledger_entry (log_index, case_id, seq, hash, prev_hash, kind, client_id, "
        "received_at, body) VALUES (4, 'case-p', 4, '{}', '{}', 'note', '{}', '{}', '{}')".format(
            forged, body["prev_hash"], body["client_id"], body["received_at"],
            canonical(body).decode().replace("'", "''"),
        )
    )  # fmt: skip
    # What the officer's phone kept: its sent items, each with the answer's promise.
    outbox = tmp_path / "outbox.json"
    outbox.write_text(
        json.dumps(
            [{"state": "sent", "result": {"hash": e.hash, "promise": e.promise}} for e in tail]
        )
    )
    code, out = await casetrail(settings, "verify", "--promises", str(outbox))
    assert code == 1, out
    assert (
        f"first bad: promised entry {tail[-1].hash} (log index 4): received "
        f"{tail[-1].body['received_at']} was replaced by entry {forged} (case case-p seq 4): "
        "history was rewritten" in out
    )


async def test_a_promise_not_signed_by_the_log_key_proves_nothing(ledger, tmp_path):
    from backend.ledger.checkpoint import CheckpointSigner
    from backend.ledger.statements import sign_promise

    entry = await ledger.append(note("case-q"))
    other = CheckpointSigner.load_or_create(tmp_path / "other.pem", ledger.signer.name)
    report = await verify_database(ledger, promises=[sign_promise(other, entry)])
    assert "promise: signature does not verify" in str(report.first())


async def test_a_partys_receipt_carries_the_promises_of_its_entries(ledger, engine):
    from backend.ledger.verify import promises_in
    from backend.service.receipts import make_receipt

    served = await ledger.append(note("case-r", "送达回证"))
    receipt = json.loads(json.dumps(await make_receipt(ledger, [served.hash])))
    [kept] = promises_in(receipt)
    assert read_promise(kept, ledger.signer.vkey).hash == served.hash
    await drop_guards(engine)
    await engine.run_ddl(f"DELETE FROM ledger_entry WHERE hash = '{served.hash}'")
    report = await verify_database(ledger, promises=promises_in(receipt))
    assert any("is missing from the log" in str(p) for p in report.problems)
