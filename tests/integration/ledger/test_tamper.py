"""An insider who bypasses the application is caught by verification, naming what was altered."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from backend.ledger.bundle import export_case, verify_bundle
from backend.ledger.entry import canonical, hash_body
from backend.ledger.verify import verify_database
from tests.engines import ENGINE
from tests.integration.ledger.drafts import note


async def drop_guards(engine) -> None:
    if ENGINE == "postgres":
        for t in ("ledger_entry_no_change", "ledger_entry_no_truncate"):
            await engine.run_ddl(f"DROP TRIGGER {t} ON ledger_entry")
        await engine.run_ddl("DROP TRIGGER ledger_checkpoint_no_change ON ledger_checkpoint")
    else:
        for t in ("ledger_entry_no_update", "ledger_entry_no_delete", "ledger_entry_no_replace"):
            await engine.run_ddl(f"DROP TRIGGER {t}")
        for t in ("ledger_checkpoint_no_update", "ledger_checkpoint_no_delete"):
            await engine.run_ddl(f"DROP TRIGGER {t}")


async def rewrite_history(engine, entries, *, forget_checkpoints: bool = False) -> str:
    """The insider's rewrite: step 1 changed, every later hash recomputed, chain intact (and, with
    `forget_checkpoints`, the signed checkpoints that would betray it deleted too)."""
    await drop_guards(engine)
    await engine.run_ddl("DELETE FROM ledger_entry")
    if forget_checkpoints:
        await engine.run_ddl("DELETE FROM ledger_checkpoint")
    prev = None
    for entry in entries:
        body = dict(entry.body, prev_hash=prev)
        if entry.seq == 1:
            body["payload"] = {"text": "从未发生"}
        h = hash_body(body)
        await engine.run_ddl(
            "INSERT INTO ledger_entry (log_index, case_id, seq, hash, prev_hash, kind, client_id, "
            "received_at, body) VALUES ({}, '{}', {}, '{}', {}, '{}', '{}', '{}', '{}')".format(
                entry.log_index, entry.case_id, entry.seq, h,
                "NULL" if prev is None else f"'{prev}'", entry.kind, entry.body["client_id"],
                entry.body["received_at"], canonical(body).decode().replace("'", "''"),
            )
        )  # fmt: skip
        prev = h
    return prev


async def a_case_with_a_photo(ledger, blobs, case_id: str = "case-1"):
    async with blobs.writer() as w:
        await w.write(b"\xff\xd8 pretend photo bytes " * 100)
    entries = [await ledger.append(note(case_id, f"第{i}步")) for i in range(3)]
    photo = await ledger.append(note(case_id, "照片", blobs=(w.sha256,)))
    return [*entries, photo], w.sha256


async def test_an_intact_database_verifies(ledger, blobs):
    await a_case_with_a_photo(ledger, blobs)
    await ledger.checkpoint()
    report = await verify_database(ledger, blobs)
    assert report.ok, report.problems
    assert (report.entries, report.blobs, report.checkpoints) == (4, 1, 1)


@pytest.mark.parametrize("column", ["body", "kind", "hash", "prev_hash", "seq"])
async def test_flipping_one_stored_field_is_reported_naming_the_entry(
    ledger, blobs, engine, column
):
    entries, _ = await a_case_with_a_photo(ledger, blobs)
    target = entries[1]
    await drop_guards(engine)
    row = (await engine.run_ddl(f"SELECT {column} FROM ledger_entry WHERE hash = '{target.hash}'"))[
        0
    ]
    value = row[column]
    if isinstance(value, int):
        flipped = value + 7
    else:
        i = len(value) // 2
        flipped = value[:i] + ("0" if value[i] != "0" else "1") + value[i + 1 :]
    await engine.run_ddl(
        f"UPDATE ledger_entry SET {column} = {{}} WHERE hash = '{target.hash}'".format(
            flipped if isinstance(flipped, int) else "'" + flipped.replace("'", "''") + "'"
        )
    )
    report = await verify_database(ledger, blobs)
    assert not report.ok
    assert target.hash[:16] in str(report.first()) or column == "hash"


async def test_a_changed_server_receipt_time_column_is_reported(ledger, blobs, engine):
    entries, _ = await a_case_with_a_photo(ledger, blobs)
    await drop_guards(engine)
    await engine.run_ddl(
        "UPDATE ledger_entry SET received_at = '2020-01-01T00:00:00+00:00' "
        f"WHERE hash = '{entries[1].hash}'"
    )
    report = await verify_database(ledger, blobs)
    assert [p.message for p in report.problems] == [
        "column received_at differs from the hashed body"
    ]
    assert entries[1].hash in str(report.first())


async def test_a_flipped_byte_in_a_stored_blob_is_reported(ledger, blobs, settings):
    entries, sha = await a_case_with_a_photo(ledger, blobs)
    path = next(Path(settings.data_dir, "blobs").rglob(sha))
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))
    report = await verify_database(ledger, blobs)
    assert [str(p) for p in report.problems] == [
        f"blob {sha} (entry {entries[-1].hash}): content altered (hash differs)"
    ]


async def test_rewriting_a_whole_history_with_recomputed_hashes_is_caught_by_the_checkpoint(
    ledger, blobs, engine
):
    entries, _ = await a_case_with_a_photo(ledger, blobs)
    signed = await ledger.checkpoint()
    # The insider rewrites step 1 and recomputes every hash after it, so each chain link holds.
    await rewrite_history(engine, entries)
    ledger.tree = type(ledger.tree)()
    report = await verify_database(ledger, blobs)
    assert [p.message for p in report.problems] == [
        "log is not consistent with this signed checkpoint: history was rewritten "
        "in log entries 0 to 3 (case case-1)"
    ]
    # ...and the server refuses to sign over the rewritten history.
    with pytest.raises(Exception, match="refusing to sign"):
        await ledger.append(note("case-1", "再来一条"))
        await ledger.checkpoint()
    # A checkpoint kept by a party outside the database catches it even if the stored ones go.
    await engine.run_ddl("DELETE FROM ledger_checkpoint")
    report = await verify_database(ledger, blobs, pinned_notes=[signed.note])
    assert "history was rewritten" in str(report.first())


async def test_an_exported_bundle_verifies_offline_and_a_tampered_one_fails(
    ledger, blobs, tmp_path
):
    entries, sha = await a_case_with_a_photo(ledger, blobs)
    await ledger.append(note("other-case"))
    bundle = tmp_path / "elsewhere" / "case-1.zip"
    await export_case(ledger, blobs, "case-1", bundle, held={sha})
    report = await verify_bundle(bundle, [ledger.signer.vkey])
    assert report.ok, report.problems
    assert (report.entries, report.blobs, report.checkpoints) == (4, 1, 1)

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "entries.jsonl":
                rows = [json.loads(x) for x in data.decode().splitlines()]
                rows[2]["body"] = rows[2]["body"].replace("第2步", "第9步")
                data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
            dst.writestr(item, data)
    report = await verify_bundle(tampered, [ledger.signer.vkey])
    assert not report.ok
    assert entries[2].hash in str(report.first())
