"""The log's Merkle tree is stored as C2SP tlog-tiles: proofs from tiles, tiles over HTTP, restarts.

The tree is never held whole: full tiles are rows written with the entries that fill them, and a
restarted server reads back only the newest tiles and the entries after the last full one.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import random

from backend.ledger.checkpoint import verify_note
from backend.ledger.entry import canonical
from backend.ledger.ledger import Ledger
from backend.ledger.merkle import MerkleTree, leaf_hash, node_hash
from backend.ledger.tables import LedgerEntry, LedgerTile
from backend.ledger.tiled_tree import TiledTree
from backend.ledger.verify import verify_database
from tests.engines import ENGINE
from tests.integration.ledger.drafts import note


def entry_hashes(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


async def test_proofs_and_roots_from_tiles_match_the_whole_tree_on_random_sizes(ledger):
    # Past 256 * 256 leaves there are full tiles on two levels and unfinished ones on three.
    leaves = entry_hashes(256 * 256 + 1234, seed=1)
    tiled, rng, done = TiledTree(), random.Random(2), 0
    while done < len(leaves):
        batch = leaves[done : done + rng.choice([1, 200, 256, 4000])]
        grow = functools.partial(tiled.grown, first_index=done, entry_hashes=batch)
        tiled.adopt(await ledger.log.writer.run(grow))
        done += len(batch)
    whole = MerkleTree(leaves)

    sizes = [1, 2, 255, 256, 257, 65535, 65536, 65537, len(leaves)]
    sizes += [rng.randrange(1, len(leaves) + 1) for _ in range(40)]
    for size in sizes:
        assert await tiled.root(size) == whole.root(size), size
        index = rng.randrange(size)
        assert await tiled.inclusion_proof(index, size) == whole.inclusion_proof(index, size)
        old = rng.randrange(size + 1)
        assert await tiled.consistency_proof(old, size) == whole.consistency_proof(old, size)
    stored = await LedgerTile.raw("SELECT tile_level, COUNT(*) AS n FROM ledger_tile GROUP BY 1")
    assert {r["tile_level"]: r["n"] for r in stored} == {0: 256 + 4, 1: 1}


async def append_notes(ledger: Ledger, count: int) -> None:
    for start in range(0, count, 100):
        await ledger.append_all(
            [note(f"case-{i % 7}", f"第{i}条") for i in range(start, min(count, start + 100))]
        )


async def root_from_the_database() -> tuple[int, bytes]:
    rows = await LedgerEntry.raw("SELECT hash FROM ledger_entry ORDER BY log_index")
    tree = MerkleTree(bytes.fromhex(r["hash"]) for r in rows)
    return tree.size, tree.root()


def reads_of_entries(ledger: Ledger) -> list[int]:
    """The first log index of each read of entries the ledger's writer makes from now on."""
    seen: list[int] = []
    fetch = ledger.log.writer.fetch

    async def spied(sql: str, *args):
        if "FROM ledger_entry WHERE log_index >=" in sql:
            seen.append(args[0])
        return await fetch(sql, *args)

    ledger.log.writer.fetch = spied  # type: ignore[method-assign]
    return seen


async def test_a_restarted_server_reads_the_newest_tiles_and_the_entries_after_them(
    ledger, engine, settings
):
    await append_notes(ledger, 600)
    before = await ledger.checkpoint()
    assert before.size == 600

    restarted = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)
    try:
        reads = reads_of_entries(restarted)
        tree = await restarted.sync_tree()
        assert reads == [512], "only the entries after the last full tile of leaves are read"
        assert tree.size == 600
        assert await tree.root(600) == before.root == (await root_from_the_database())[1]
        await append_notes(restarted, 30)
        assert (await restarted.checkpoint()).root == (await root_from_the_database())[1]
    finally:
        await restarted.close()


async def test_entries_left_without_tiles_are_tiled_on_start_from_the_entries_after_the_last_tile(
    ledger, engine, settings
):
    await append_notes(ledger, 300)  # one full tile of leaves stored
    # Entries written without their tiles: a log kept by a version before tiles, or a writer
    # that stopped between the two (this one writes both in one transaction).
    for log_index in range(300, 700):
        body = {"case_id": "case-x", "seq": log_index - 300, "text": f"旧版本写入 {log_index}"}
        text = canonical(body).decode()
        await LedgerEntry.raw(
            "INSERT INTO ledger_entry (log_index, case_id, seq, hash, prev_hash, kind, "
            "client_id, received_at, body) VALUES ({}, {}, {}, {}, NULL, 'note', {}, {}, {})",
            log_index,
            "case-x",
            log_index - 300,
            hashlib.sha256(text.encode()).hexdigest(),
            f"old-{log_index}",
            ledger.clock(),
            text,
        )

    restarted = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)
    try:
        reads = reads_of_entries(restarted)
        tree = await restarted.sync_tree()
        assert reads == [256]
        size, root = await root_from_the_database()
        assert tree.size == size == 700 and await tree.root() == root
        tiles = await LedgerTile.raw("SELECT tile_index FROM ledger_tile WHERE tile_level = 0")
        assert sorted(r["tile_index"] for r in tiles) == [0, 1]
    finally:
        await restarted.close()
    # The server that was running catches up the same way and signs the same root.
    assert (await ledger.checkpoint()).root == root


def mth(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH over leaf hashes, written out as a client would, to check the server."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def split(tile: bytes) -> list[bytes]:
    return [tile[i : i + 32] for i in range(0, len(tile), 32)]


async def test_a_transparency_log_client_recomputes_the_checkpoint_root_from_tiles(app_client):
    ledger = app_client.app.state.ledger
    await append_notes(ledger, 600)
    await ledger.checkpoint()

    answer = await app_client.get("/checkpoint")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    vkey = (await app_client.get("/api/log/checkpoint")).json()["vkey"]
    checkpoint = verify_note(answer.text, vkey)
    assert checkpoint.size == 600

    full = [await app_client.get(f"/tile/0/00{n}") for n in (0, 1)]
    partial = await app_client.get("/tile/0/002.p/88")
    assert all(r.status_code == 200 for r in [*full, partial])
    assert full[0].headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "immutable" not in partial.headers["cache-control"]
    leaves = [h for r in [*full, partial] for h in split(r.content)]
    assert len(leaves) == 600 and mth(leaves) == checkpoint.root

    # The level above holds each full leaf tile's hash: the root again, from fewer hashes.
    upper = split((await app_client.get("/tile/1/000.p/2")).content)
    assert upper == [mth(split(full[0].content)), mth(split(full[1].content))]
    assert node_hash(node_hash(*upper), mth(split(partial.content))) == checkpoint.root

    # Entry bundles carry each entry's hash, whose leaf hash is the tile's.
    bundle = (await app_client.get("/tile/entries/000")).content
    assert len(bundle) == 256 * 34 and bundle[:2] == b"\x00\x20"
    assert [leaf_hash(bundle[i + 2 : i + 34]) for i in range(0, len(bundle), 34)] == split(
        full[0].content
    )

    for path, status in [
        ("/tile/0/003", 404),  # not there yet
        ("/tile/0/002.p/89", 404),
        ("/tile/2/000.p/1", 404),
        ("/tile/0/2", 400),
        ("/tile/0/002.p/0", 400),
        ("/tile/x/000", 400),
        ("/tile/entries/003", 404),
    ]:
        answer = await app_client.get(path)
        assert answer.status_code == status, (path, answer.text)


async def test_tiles_follow_appends_made_by_another_process(app_client, engine, settings):
    ledger = app_client.app.state.ledger
    await append_notes(ledger, 250)
    other = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)
    try:
        await append_notes(other, 10)  # e.g. `casetrail invite`: this crosses a tile boundary
    finally:
        await other.close()
    tile = await app_client.get("/tile/0/000")
    assert tile.status_code == 200
    rows = await LedgerEntry.raw("SELECT hash FROM ledger_entry ORDER BY log_index LIMIT 256")
    assert split(tile.content) == [leaf_hash(bytes.fromhex(r["hash"])) for r in rows]
    tail = await app_client.get("/tile/0/001.p/4")
    assert tail.status_code == 200 and len(tail.content) == 4 * 32
    await asyncio.gather(*(append_notes(ledger, 5) for _ in range(3)))
    assert (await ledger.checkpoint()).root == (await root_from_the_database())[1]


async def test_verify_names_a_stored_tile_that_disagrees_with_the_entries(ledger, engine):
    await append_notes(ledger, 300)
    await ledger.checkpoint()
    assert not (await verify_database(ledger)).problems
    # An insider changes a tile (what outside clients fetch), leaving the entries alone.
    if ENGINE == "postgres":
        await engine.run_ddl("DROP TRIGGER ledger_tile_no_change ON ledger_tile")
        await engine.run_ddl("UPDATE ledger_tile SET hashes = decode(repeat('00', 8192), 'hex')")
    else:
        await engine.run_ddl("DROP TRIGGER ledger_tile_no_update")
        await engine.run_ddl("UPDATE ledger_tile SET hashes = zeroblob(8192)")
    report = await verify_database(ledger)
    assert [(p.where, p.message) for p in report.problems] == [
        (
            "stored tile tile/0/000",
            "does not match the tree of the entries: the tiles served to transparency-log "
            "clients tell another history",
        )
    ]
