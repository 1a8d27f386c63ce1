"""Several CaseTrail servers on one PostgreSQL database keep one log, as one server would.

Two `casetrail serve` processes (as two machines behind a reverse proxy would run, sharing the
database, the checkpoint key and the blob store) take appends and tus photo uploads at the same
time, an upload even moving from one server to the other half-way, while a third process (the
CLI's) appends too. Afterwards both sign the same checkpoint, each one's inclusion proofs verify
against the other's checkpoint, every entry is in the log exactly once, and the projections are
what a rebuild from the log makes. A guesser spreading party-link guesses over both servers is
throttled after the one limit, and a periodic job runs once per interval whichever server ticks.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import pytest

from backend.cases.tables import CaseState
from backend.evidence.tables import EvidenceDevice, EvidenceMedia
from backend.identity.tables import CaseMember
from backend.jobs import Job, run_once
from backend.ledger.entry import Draft
from backend.ledger.ledger import Ledger
from backend.ledger.merkle import MerkleTree, verify_inclusion
from backend.ledger.tables import LedgerEntry
from backend.runtime import projection_modules
from backend.service.links import PARTY_TOKEN_HEADER
from tests.engines import ENGINE
from tests.integration.conftest import signed_in
from tests.integration.evidence.conftest import jpeg
from tests.integration.identity.people import AGENCY, open_case
from tests.integration.servers import ROOT, Server, real_client, server_env
from tests.integration.uploads import upload_media
from tests.waiting import until

postgres_only = pytest.mark.skipif(
    ENGINE != "postgres", reason="several servers share a PostgreSQL database; SQLite has one"
)
PROJECTIONS = (CaseState, EvidenceMedia, EvidenceDevice, CaseMember)


@pytest.fixture
def two_servers(settings, database_url, tmp_path):
    env = server_env(settings, database_url, settings.public_url)
    # Both start at once, as after an upgrade: one migrates, the other waits for it.
    servers = [Server(env, tmp_path / f"server-{n}.log") for n in "ab"]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def send_photo(first, second, headers: dict, case_id: str, n: int) -> dict:
    """A tus upload created on `first` whose second half and finalising go to `second`."""
    return await upload_media(
        first,
        headers,
        case_id,
        jpeg((64 + n, 48)),
        claimed={"time": "2026-03-01T09:00:00+08:00"},
        filename=f"IMG_{n:04d}.jpg",
        then=second,
    )


async def send_note(client, headers: dict, case_id: str, text: str) -> dict:
    answer = await client.post(
        f"/api/cases/{case_id}/entries",
        json={"kind": "note", "client_id": str(uuid.uuid4()), "payload": {"text": text}},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def projection_rows() -> dict[str, list[tuple]]:
    found = {}
    for table in PROJECTIONS:
        rows = await table.raw(f"SELECT * FROM {table._meta.tablename}")
        found[table._meta.tablename] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "id")) for row in rows
        )
    return found


@postgres_only
async def test_two_servers_on_one_database_keep_one_log(two_servers, settings, engine):
    a, b = two_servers
    async with real_client(a.url, settings) as at_a, real_client(b.url, settings) as at_b:
        officer = await signed_in(at_a, "officer", AGENCY)
        at_b.cookies.update(at_a.cookies)  # sessions are in the database: any server knows them
        cases = [await open_case(at_a, officer), await open_case(at_b, officer)]
        cli = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)

        async def the_cli_appends(n: int) -> None:
            draft = Draft(f"agency:{AGENCY}", "staff.invited", f"invite:cli-{n}",
                          {"staff_id": f"cli-{n}", "name": f"cli-{n}", "roles": ["officer"],
                           "unit_id": None, "expires_at": "2026-12-31T00:00:00Z"})  # fmt: skip
            await cli.append(draft)

        work = []
        for n in range(24):
            client = (at_a, at_b)[n % 2]
            work.append(send_note(client, officer, cases[n % 2], f"第{n}条现场记录"))
        for n in range(4):
            first, second = ((at_a, at_b), (at_b, at_a))[n % 2]
            work.append(send_photo(first, second, officer, cases[n % 2], n))
        work += [the_cli_appends(n) for n in range(4)]
        answers = await asyncio.gather(*work)
        await cli.close()

        # No duplicate, no gap: every acknowledged entry is in the log exactly once.
        rows = await LedgerEntry.raw("SELECT log_index, hash, client_id FROM ledger_entry")
        assert sorted(r["log_index"] for r in rows) == list(range(len(rows)))
        assert len({r["client_id"] for r in rows}) == len(rows)
        acknowledged = {x["hash"] for x in answers if x}
        assert acknowledged <= {r["hash"] for r in rows}

        # Both servers sign the same head, whichever is asked first.
        async with real_client(a.url, settings) as sup_a, real_client(b.url, settings) as sup_b:
            supervisor = await signed_in(sup_a, "supervisor", AGENCY)
            sup_b.cookies.update(sup_a.cookies)
            signed_a = await sup_a.post("/api/log/checkpoint", headers=supervisor)
            signed_b = await sup_b.post("/api/log/checkpoint", headers=supervisor)
        assert signed_a.status_code == signed_b.status_code == 201, signed_b.text
        head_a, head_b = signed_a.json(), signed_b.json()
        assert (head_a["size"], head_a["root"]) == (head_b["size"], head_b["root"])
        ordered = await LedgerEntry.raw("SELECT hash FROM ledger_entry ORDER BY log_index")
        tree = MerkleTree()
        for row in ordered:
            tree.append(bytes.fromhex(row["hash"]))
        assert head_a["size"] == tree.size and head_a["root"] == tree.root().hex()

        # Each server's inclusion proof holds against the other server's checkpoint.
        for entry, (prover, other_head) in zip(
            [answers[0], answers[1], answers[24], answers[25]],
            [(at_a, head_b), (at_b, head_a), (at_a, head_b), (at_b, head_a)],
            strict=True,
        ):
            proof = (await prover.get(f"/api/log/inclusion/{entry['hash']}")).json()
            assert verify_inclusion(
                bytes.fromhex(entry["hash"]),
                proof["log_index"],
                other_head["size"],
                [bytes.fromhex(p) for p in proof["proof"]],
                bytes.fromhex(other_head["root"]),
            ), proof

    for server in two_servers:
        server.stop()
    # The projections both servers kept are what the log makes from scratch: nothing twice.
    kept = await projection_rows()
    assert kept["evidence_media"] and kept["case_state"]
    ledger = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name)
    for module in projection_modules():
        await module.rebuild_all(ledger)
    await ledger.close()
    assert await projection_rows() == kept


@postgres_only
async def test_a_guesser_spreading_guesses_over_two_servers_meets_one_limit(two_servers, settings):
    from backend.service.throttle import THROTTLE

    a, b = two_servers
    guesses = [real_client(s.url, settings) for s in (a, b)]
    try:
        for n in range(THROTTLE.failures.limit):
            answer = await guesses[n % 2].get(
                "/api/party", headers={PARTY_TOKEN_HEADER: f"guess-{n:04d}-{'x' * 30}"}
            )
            assert answer.status_code == 404, answer.text
        for client in guesses:  # each server saw only half the guesses, and still refuses
            blocked = await client.get("/api/party", headers={PARTY_TOKEN_HEADER: "g" * 40})
            assert blocked.status_code == 429
    finally:
        for client in guesses:
            await client.aclose()


async def test_a_periodic_job_runs_once_per_interval_whichever_server_ticks(
    engine, settings, tmp_path
):
    ran = []

    async def work() -> None:
        ran.append(1)

    job = Job("sweep", 600, work)
    # Two servers on two machines: their lock files are not shared, the database is.
    here, there = tmp_path / "server-a" / "locks", tmp_path / "server-b" / "locks"
    assert await run_once(engine, here, job, periodic=True)
    assert not await run_once(engine, there, job, periodic=True)
    assert not await run_once(engine, here, job, periodic=True)
    assert ran == [1]
    assert await run_once(engine, there, job)  # asked for explicitly, it runs anyway
    assert ran == [1, 1]


def test_several_workers_on_sqlite_are_refused_with_a_reason(settings, tmp_path):
    sqlite = {"CASETRAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'one.sqlite'}",
              "CASETRAIL_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    refused = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--workers", "2"],
        cwd=ROOT,
        env={**server_env(settings, "", settings.public_url), **sqlite},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "needs PostgreSQL" in refused.stderr
    assert not (tmp_path / "one.sqlite").exists()  # refused before touching anything


@postgres_only
def test_serve_with_two_workers_replaces_a_killed_one_and_stops_them_all(
    settings, database_url, tmp_path
):
    import os
    import signal

    import httpx

    env = server_env(settings, database_url, settings.public_url)
    server = Server(env, tmp_path / "server.log", workers=2).start()
    try:
        first = server.worker_pids()
        assert len(first) == 2
        os.kill(first[0], signal.SIGKILL)
        now = until(
            lambda: (pids := server.worker_pids()) != first and len(pids) == 2 and pids,
            120,
            server.log_path.read_text,
        )
        assert first[1] in now  # the other worker served on
        assert httpx.get(f"{server.url}/api/time", timeout=10).status_code == 200
    finally:
        server.stop()  # SIGTERM to the parent: it stops its workers and waits for them
    assert server.process.returncode is not None
    assert not [pid for pid in now if os.path.exists(f"/proc/{pid}")], "a worker outlived serve"
