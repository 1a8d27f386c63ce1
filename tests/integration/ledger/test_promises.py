"""Every append is answered with the log's signed promise; a client holding it can prove a
deletion or a rewrite, even of entries appended after the last checkpoint."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

from backend.ledger.entry import canonical, hash_body
from backend.ledger.statements import read_promise
from backend.ledger.verify import verify_database
from tests.integration.cases.test_case_list import open_case
from tests.integration.conftest import signed_in
from tests.integration.ledger.drafts import note
from tests.integration.ledger.test_cli import casetrail
from tests.integration.ledger.test_committer import BOUND_S
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


# -- promises of a whole group commit, signed on the appender's signing thread -----------------


def commits_counted(ledger) -> list[int]:
    """How many drafts each write transaction of the ledger took, in order."""
    sizes: list[int] = []
    write = ledger.appender._write

    async def counted(groups):
        sizes.append(sum(len(group) for group in groups))
        return await write(groups)

    ledger.appender._write = counted
    return sizes


async def test_officers_appending_at_once_each_get_a_promise_of_their_own_entry(
    ledger, settings, tmp_path
):
    commits = commits_counted(ledger)
    drafts = [note(f"case-{i % 4}", f"同时提交第{i}条") for i in range(40)]
    answered = await asyncio.gather(*(ledger.append(d) for d in drafts))
    assert commits == [40], "one group commit answered them all"

    for draft, entry in zip(drafts, answered, strict=True):
        promise = read_promise(entry.promise, ledger.signer.vkey)
        assert entry.body["client_id"] == draft.client_id
        assert (promise.log_index, promise.hash) == (entry.log_index, entry.hash)
        assert promise.received_at == entry.body["received_at"]
    assert sorted(e.log_index for e in answered) == list(range(40))

    # The phones keep them; the log holds every one.
    outbox = tmp_path / "outbox.json"
    outbox.write_text(json.dumps([{"result": {"promise": e.promise}} for e in answered]))
    code, out = await casetrail(settings, "verify", "--promises", str(outbox))
    assert code == 0, out
    assert "40 promises verified" in out


async def test_resends_in_a_busy_commit_get_the_promises_first_answered(ledger):
    drafts = [note("case-r", f"第{i}条") for i in range(10)]
    first = await asyncio.gather(*(ledger.append(d) for d in drafts))
    commits = commits_counted(ledger)
    # The answers were lost; the phones resend while other officers append new entries.
    again = await asyncio.gather(
        *(ledger.append(d) for d in drafts), *(ledger.append(note("case-s")) for _ in range(10))
    )
    assert commits == [20]
    assert [e.promise for e in again[:10]] == [e.promise for e in first]
    assert [e.log_index for e in again[:10]] == [e.log_index for e in first]


async def test_an_entry_whose_promise_cannot_be_signed_is_kept_and_its_resend_is_promised(
    ledger, monkeypatch, caplog
):
    import backend.ledger.appender

    def broken(signer, entries):
        raise OSError("the signing key could not be used")

    draft = note("case-t", "签名失败时提交")
    with monkeypatch.context() as patched:
        patched.setattr(backend.ledger.appender, "sign_promises", broken)
        entry = await ledger.append(draft)
    # Durable and answered, without a promise, as a log without a key answers.
    assert entry.promise is None
    assert "signing promises failed" in caplog.text
    assert [e.hash for e in await ledger.timeline("case-t")] == [entry.hash]

    resent = await ledger.append(draft)
    assert resent.hash == entry.hash
    assert read_promise(resent.promise, ledger.signer.vkey).hash == entry.hash


async def test_a_log_without_a_key_answers_appends_without_promises(engine):
    from backend.ledger.ledger import Ledger

    unsigned = Ledger(engine)
    try:
        entries = await asyncio.gather(*(unsigned.append(note("case-u")) for _ in range(3)))
    finally:
        await unsigned.close()
    assert [e.promise for e in entries] == [None, None, None]


async def test_promises_are_signed_beside_the_event_loop_while_the_next_batch_is_written(
    ledger, monkeypatch
):
    import backend.ledger.appender

    sign = backend.ledger.appender.sign_promises
    signing_threads: list[str] = []
    held = threading.Event()

    def slow_signer(signer, entries):
        signing_threads.append(threading.current_thread().name)
        held.wait(timeout=BOUND_S)  # a signature that takes its time
        return sign(signer, entries)

    monkeypatch.setattr(backend.ledger.appender, "sign_promises", slow_signer)
    written = asyncio.Event()
    write = ledger.appender._write

    async def noticed(groups):
        results = await write(groups)
        written.set()
        return results

    ledger.appender._write = noticed
    first = asyncio.create_task(ledger.append(note("case-v", "第一批")))
    async with asyncio.timeout(BOUND_S):
        await written.wait()
    written.clear()
    second = asyncio.create_task(ledger.append(note("case-v", "第二批")))
    async with asyncio.timeout(BOUND_S):
        await written.wait()  # the next batch is written while the first one's promise is signed
    assert not first.done()

    held.set()
    async with asyncio.timeout(BOUND_S):
        answered = await asyncio.gather(first, second)
    assert [read_promise(e.promise, ledger.signer.vkey).log_index for e in answered] == [0, 1]
    assert threading.main_thread().name not in signing_threads
    assert len(signing_threads) == 2, "one signing call per commit"
