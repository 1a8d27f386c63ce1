"""Two CaseTrail servers on loopback witness each other's logs (C2SP tlog-witness): an agency that
rewrites its history and re-signs it with its own key is refused by the witness, and `verify`
with the witness's key catches it against the checkpoint the witness cosigned before."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from backend.app import create_app
from backend.ledger.bundle import export_case, verify_bundle
from backend.ledger.checkpoint import CheckpointSigner
from backend.ledger.cosignature import Cosigner, cosigned_at
from backend.ledger.tables import WitnessedCheckpoint
from backend.ledger.verify import verify_database
from backend.settings import Settings
from tests.conftest import RUN, _pg_admin, pg_url
from tests.engines import ENGINE
from tests.integration.ledger.drafts import note
from tests.integration.ledger.test_cli import CASETRAIL, CHECKOUT, casetrail
from tests.integration.ledger.test_tamper import rewrite_history


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def second_database_url(template_db: str, tmp_path: Path) -> AsyncIterator[str]:
    if ENGINE == "postgres":
        name = f"ct_{RUN}_{uuid.uuid4().hex[:10]}"
        await _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template_db}")
        yield pg_url(name)
        await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        path = tmp_path / "second.sqlite"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"


class InProcessServer:
    """The agency's CaseTrail served by uvicorn on 127.0.0.1 in this test's event loop (one app
    per process: Piccolo binds its tables to one engine)."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.app = create_app(settings)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> InProcessServer:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(400):  # bounded wait for start-up, polling
            if self.server.started:
                return self
            await asyncio.sleep(0.025)
        raise TimeoutError("server did not start")

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.task

    @property
    def ledger(self):
        return self.app.state.ledger


class Subprocess:
    """The bureau's CaseTrail as `casetrail serve` in a process of its own."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Subprocess:
        self.process = await asyncio.create_subprocess_exec(
            CASETRAIL, "serve", "--host", "127.0.0.1", "--port", str(self.port),
            env={**os.environ, **CHECKOUT, **self.env}, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        async with httpx.AsyncClient() as client:
            for _ in range(600):  # bounded wait for start-up, polling
                try:
                    if (await client.get(f"{self.url}/api/time")).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise TimeoutError("casetrail serve did not start")

    async def __aexit__(self, *exc: object) -> None:
        self.process.terminate()
        await self.process.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def run(self, *args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            CASETRAIL, *args, env={**os.environ, **CHECKOUT, **self.env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await process.communicate()
        return process.returncode, out.decode()


@pytest.fixture
async def agency_and_bureau(database_url, second_database_url, tmp_path):
    """The agency's CaseTrail is witnessed by the bureau's, and the bureau's by the agency's."""
    ports = {"agency": free_port(), "bureau": free_port()}
    dirs = {who: tmp_path / who for who in ports}
    logs = {who: f"{who}.example/log" for who in ports}
    log_keys, witness_keys = {}, {}
    for who in ports:  # keys first: each side must name the other's before starting
        log_keys[who] = CheckpointSigner.load_or_create(
            dirs[who] / "data" / "keys" / "checkpoint.pem", logs[who]
        ).vkey
        witness_keys[who] = Cosigner.load_or_create(
            dirs[who] / "data" / "keys" / "witness.pem", f"{who}.example/witness"
        ).vkey
    urls = {"agency": database_url, "bureau": second_database_url}

    def env(who: str, other: str) -> dict[str, str]:
        return {
            "CASETRAIL_DATA_DIR": str(dirs[who] / "data"),
            "CASETRAIL_DATABASE_URL": urls[who],
            "CASETRAIL_LOG_NAME": logs[who],
            "CASETRAIL_WITNESS_NAME": f"{who}.example/witness",
            "CASETRAIL_WITNESS_FOR": log_keys[other],
            "CASETRAIL_WITNESSES": f"http://127.0.0.1:{ports[other]}/api/witness "
            f"{witness_keys[other]}",
            "CASETRAIL_CHECKPOINT_FIRST_S": "3600",  # the test signs when it means to
        }

    agency_settings = Settings.from_env(env("agency", "bureau"))
    async with (
        InProcessServer(agency_settings, ports["agency"]) as agency,
        Subprocess(env("bureau", "agency"), ports["bureau"]) as bureau,
    ):
        yield agency, bureau, witness_keys, agency_settings


async def test_witnesses_cosign_growth_and_refuse_a_history_rewritten_with_the_owners_key(
    agency_and_bureau, tmp_path
):
    agency, bureau, witness_keys, agency_settings = agency_and_bureau
    ledger = agency.ledger
    entries = [await ledger.append(note("case-w", f"第{i}步")) for i in range(3)]
    first = await ledger.checkpoint()
    entries += [await ledger.append(note("case-w", f"第{i}步")) for i in (3, 4)]
    second = await ledger.checkpoint()  # sent with a consistency proof from size 3
    assert await ledger.protection_problems() == []
    bureau_key = witness_keys["bureau"]
    from backend.ledger.witnessing import cosigned_notes

    kept = await cosigned_notes()
    assert [(r["tree_size"], r["witness"]) for r in kept] == [
        (first.size, "bureau.example/witness"),
        (second.size, "bureau.example/witness"),
    ]
    assert all(cosigned_at(r["note"], bureau_key) for r in kept)
    # The bureau's own log is witnessed by the agency the same way.
    code, out = await bureau.run("invite", "--agency", "bureau", "--role", "admin")
    assert code == 0, out
    code, out = await bureau.run("checkpoint")
    assert code == 0 and "WARNING" not in out, out
    witnessed = await WitnessedCheckpoint.raw("SELECT origin, tree_size FROM witnessed_checkpoint")
    assert [r["origin"] for r in witnessed] == ["bureau.example/log"]

    # A bundle carries the cosignature: the witness's key alone anchors it for an auditor.
    bundle = tmp_path / "case-w.zip"
    await export_case(ledger, agency.app.state.blobs, "case-w", bundle, held=set())
    report = await verify_bundle(bundle, witnesses=[bureau_key])
    assert not report.problems and report.ok, report.problems

    # The insider holding the agency's data directory rewrites the case and re-signs.
    await rewrite_history(ledger.engine, entries, forget_checkpoints=True)
    ledger.tree = type(ledger.tree)()
    resigned = await ledger.checkpoint()  # the holder's own key signs the rewritten tree
    assert resigned.size == second.size and resigned.root != second.root
    [refusal] = await ledger.protection_problems()
    assert refusal.startswith(
        "witness bureau.example/witness: witness bureau.example/witness refused (409)"
    )
    assert len(await cosigned_notes()) == 2  # nothing new was cosigned

    report = await verify_database(ledger, witnesses=[bureau_key], quorum=1)
    assert [str(p) for p in report.problems] == [
        f"witnessed checkpoint of size {first.size}: the log is not what the witnesses cosigned: "
        "history was rewritten in log entries 0 to 2 (case case-w)",
        f"witnessed checkpoint of size {second.size}: the log is not what the witnesses cosigned: "
        "history was rewritten in log entries 0 to 4 (case case-w)",
    ]
    # The same from the command line, with the key the bureau publishes.
    code, out = await casetrail(agency_settings, "verify", "--witness", bureau_key, "--quorum", "1")
    assert code == 1 and "Traceback" not in out
    assert "the log is not what the witnesses cosigned: history was rewritten" in out


async def test_a_witness_refuses_a_fork_a_stale_size_a_bad_proof_and_a_stranger(
    agency_and_bureau,
):
    agency, bureau, _, _ = agency_and_bureau
    ledger = agency.ledger
    for i in range(4):
        await ledger.append(note("case-f", f"第{i}步"))
    signed = await ledger.checkpoint()  # cosigned by the bureau at size 4
    assert await ledger.protection_problems() == []
    tree = await ledger.sync_tree()

    async def submit(old: int, proof: list[bytes], note_text: str) -> httpx.Response:
        lines = "".join(base64.b64encode(p).decode() + "\n" for p in proof)
        async with httpx.AsyncClient() as client:
            return await client.post(
                f"{bureau.url}/api/witness/add-checkpoint",
                content=f"old {old}\n{lines}\n{note_text}".encode(),
            )

    # Same size, another root, signed by the agency's own key: a fork.
    assert (await submit(4, [], ledger.signer.sign(4, bytes(32)))).status_code == 409
    # A stale old size: 409 with the size the witness holds.
    stale = await submit(0, [], signed.note)
    assert (stale.status_code, stale.text) == (409, "4\n")
    assert stale.headers["content-type"].startswith("text/x.tlog.size")
    # A bigger tree whose proof does not lead from what was cosigned.
    bigger = ledger.signer.sign(5, bytes(32))
    assert (await submit(4, await tree.consistency_proof(2, 4), bigger)).status_code == 422
    # A checkpoint of the agency's log signed by another key, and a log it does not witness.
    forger = CheckpointSigner.load_or_create(
        Path(agency.app.state.settings.data_dir) / "f.pem", ledger.signer.name
    )
    assert (await submit(4, [], forger.sign(4, signed.root))).status_code == 403
    stranger = CheckpointSigner.load_or_create(
        Path(agency.app.state.settings.data_dir) / "s.pem", "stranger.example/log"
    )
    assert (await submit(0, [], stranger.sign(1, bytes(32)))).status_code == 404
    assert (await submit(0, [], "not a checkpoint")).status_code in (400, 404)
    # None of this moved the witness: the agency's next honest checkpoint is still cosigned.
    await ledger.append(note("case-f", "第4步"))
    await ledger.checkpoint()
    assert await ledger.protection_problems() == []
