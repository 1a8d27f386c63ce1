"""Domains read entries through the ledger by what they mean: a client id, kinds on timelines,
hashes, and which timelines name a blob (an index written with the entries, not a text scan)."""

from __future__ import annotations

import hashlib
import uuid

from backend.ledger import reads
from backend.ledger.entry import Draft
from backend.ledger.migrations import entry_digests
from backend.ledger.tables import LedgerEntryDigest
from tests.integration.ledger.drafts import note


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def with_blob(case_id: str, blob: str) -> Draft:
    return Draft(case_id, "note", str(uuid.uuid4()), {"text": "现场照片说明"}, blobs=(blob,))


async def test_an_entry_is_found_by_its_client_id_and_hash(ledger):
    first = await ledger.append(note("case-reads-1"))
    second = await ledger.append(note("case-reads-1", "询问笔录"))

    assert (await ledger.by_client_id(first.body["client_id"])).hash == first.hash
    assert await reads.by_client_id("never-sent") is None
    found = await reads.by_hashes([first.hash, second.hash, "0" * 64])
    assert set(found) == {first.hash, second.hash}
    assert found[second.hash].payload == {"text": "询问笔录"}


async def test_entries_of_some_kinds_on_some_timelines_come_in_log_order(ledger):
    a1 = await ledger.append(note("case-reads-a"))
    await ledger.append(note("case-reads-elsewhere"))
    b1 = await ledger.append(note("case-reads-b"))
    a2 = await ledger.append(note("case-reads-a"))

    found = await ledger.of_kinds(["case-reads-a", "case-reads-b"], ["note"])
    assert [e.hash for e in found] == [a1.hash, b1.hash, a2.hash]
    assert await ledger.of_kinds(["case-reads-a"], ["case.opened"]) == []
    assert (await reads.first_of_kind("case-reads-a", "note")).hash == a1.hash
    assert [r["hash"] for r in await reads.stored_rows("case-reads-a")] == [a1.hash, a2.hash]


async def test_each_timelines_newest_entry_is_its_head_and_an_empty_one_has_none(ledger):
    await ledger.append(note("case-heads-a"))
    b = await ledger.append(note("case-heads-b"))
    a = await ledger.append(note("case-heads-a", "询问笔录"))

    assert await reads.heads(["case-heads-a", "case-heads-b", "case-heads-none"]) == {
        "case-heads-a": a.log_index,
        "case-heads-b": b.log_index,
    }
    assert await reads.heads([]) == {}


async def test_the_timelines_naming_a_blob_are_found_through_the_index(ledger):
    photo, other = digest("photo"), digest("other")
    here = await ledger.append(with_blob("case-blob-here", photo))
    await ledger.append(with_blob("case-blob-other", other))
    there = await ledger.append(with_blob("case-blob-there", photo))

    assert [e.hash for e in await ledger.naming(photo)] == [here.hash, there.hash]
    assert [e.hash for e in await ledger.naming(photo, case_ids=["case-blob-there"])] == [
        there.hash
    ]
    assert await ledger.naming(photo, kinds=["document.generated"]) == []
    assert await ledger.naming(digest("never uploaded")) == []
    # The index holds what the entries name, row for row: it is what the look-up reads.
    rows = await LedgerEntryDigest.select().where(LedgerEntryDigest.digest == photo)
    assert sorted(r["case_id"] for r in rows) == ["case-blob-here", "case-blob-there"]


async def test_the_migration_fills_the_index_for_entries_written_before_it(ledger, engine):
    photo = digest("older photo")
    entry = await ledger.append(with_blob("case-blob-before", photo))
    await LedgerEntryDigest.delete(force=True)  # as before the index existed
    assert await ledger.naming(photo) == []

    await entry_digests(engine)

    assert [e.hash for e in await ledger.naming(photo)] == [entry.hash]


def test_an_entry_names_its_blobs_and_its_payloads_digests_only():
    file, token = digest("recorder file"), digest("token")
    body = {
        "blobs": [file],
        "payload": {"sha256": file, "token_sha256": token, "text": digest("not a field named")},
    }
    assert reads.named_digests(body) == {file, token}
    assert reads.named_digests({"blobs": ["not-a-hash"], "payload": {"sha256": 7}}) == set()
