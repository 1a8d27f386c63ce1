"""Checks followed by writes hold across workers and servers: the witness never cosigns a fork
because two requests raced, and a shared lock held by one server makes another wait."""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg
import pytest

from backend.database import close_engine, lock_key, open_engine, shared_lock
from backend.ledger.checkpoint import CheckpointSigner
from backend.ledger.cosignature import Cosigner
from backend.ledger.witness import Witness
from tests.engines import ENGINE


async def test_two_workers_asked_to_cosign_two_forks_of_one_log_cosign_only_one(engine, tmp_path):
    log = CheckpointSigner.load_or_create(tmp_path / "log.pem", "agency.example/log")
    cosigner = Cosigner.load_or_create(tmp_path / "witness.pem", "bureau.example/witness")
    # Two workers of the same witness (each with its own process-local state, none shared).
    workers = [Witness(cosigner, [log.vkey]), Witness(cosigner, [log.vkey])]
    forks = [log.sign(5, hashlib.sha256(side).digest()) for side in (b"one", b"other")]
    answers = await asyncio.gather(
        *(
            w.add_checkpoint(f"old 0\n\n{note}".encode())
            for w, note in zip(workers, forks, strict=True)
        )
    )
    assert sorted(a.status for a in answers) == [200, 409]
    assert (await workers[0].latest("agency.example/log"))[0] == 5


@pytest.mark.skipif(ENGINE != "postgres", reason="SQLite is served by one process")
async def test_a_lock_held_by_one_server_makes_another_wait(settings):
    other = await open_engine(settings.database_url)  # another server's own pool
    try:
        mine = await open_engine(settings.database_url)
        try:
            async with shared_lock(mine, "draw:officer:o-1"):
                waiting = asyncio.create_task(_take(other, "draw:officer:o-1"))
                await _until_waiting(settings.database_url, lock_key("draw:officer:o-1"))
                assert not waiting.done()
            assert await waiting == "taken"
        finally:
            await close_engine(mine)
    finally:
        await close_engine(other)


async def _take(engine, name: str) -> str:
    async with shared_lock(engine, name):
        return "taken"


async def _until_waiting(url: str, key: int) -> None:
    """Poll pg_locks until a session waits for the advisory lock `key` (state, not time)."""
    conn = await asyncpg.connect(url)
    try:
        classid, objid = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
        for _ in range(600):
            if await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = $1::bigint::oid AND objid = $2::bigint::oid",
                classid,
                objid,
            ):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the other server never waited for the lock")
    finally:
        await conn.close()


async def test_a_witness_that_did_not_cosign_is_reported_by_every_server(
    engine, settings, tmp_path
):
    from backend.ledger.ledger import Ledger
    from backend.ledger.witnessing import parse_witnesses
    from tests.integration.ledger.drafts import note
    from tests.integration.servers import free_port

    bureau = Cosigner.load_or_create(tmp_path / "bureau.pem", "bureau.example/witness")
    unreachable = parse_witnesses(f"http://127.0.0.1:{free_port()}/api/witness {bureau.vkey}")
    signer = CheckpointSigner.load_or_create(tmp_path / "checkpoint.pem", settings.log_name)
    signing, other = (Ledger(engine, signer, witnesses=unreachable) for _ in range(2))
    try:
        await signing.append(note("case-w", "现场检查开始"))
        await signing.checkpoint()
        [here] = await signing.protection_problems()
        [there] = await other.protection_problems()  # the server that did not sign knows too
        assert here.startswith("witness bureau.example/witness:") and "unreachable" in here
        assert there == "witness bureau.example/witness: has not cosigned the latest checkpoint"
    finally:
        await signing.close()
        await other.close()
