"""The `casetrail` command line as an archivist or auditor uses it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from backend.ledger.checkpoint import key_fingerprint
from backend.ledger.timestamp import verify_timestamp
from tests.integration.ledger.drafts import note
from tests.integration.ledger.test_tamper import drop_guards
from tests.unit.ledger.test_timestamp import tsa  # noqa: F401 - the local TSA fixture

CASETRAIL = str(Path(sys.executable).with_name("casetrail"))
# The command runs this checkout's code even when the virtualenv was installed from another one.
CHECKOUT = {"PYTHONPATH": str(Path(__file__).resolve().parents[3])}


async def casetrail(settings, *args: str, cwd: Path | None = None) -> tuple[int, str]:
    env = {
        **os.environ,
        **CHECKOUT,
        "CASETRAIL_DATA_DIR": str(settings.data_dir),
        "CASETRAIL_DATABASE_URL": settings.database_url,
    }
    process = await asyncio.create_subprocess_exec(
        CASETRAIL, *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_verify_says_ok_for_an_intact_log_and_names_the_first_bad_entry_otherwise(
    ledger, engine, settings
):
    entries = [await ledger.append(note("case-7", f"第{i}步")) for i in range(4)]
    code, out = await casetrail(settings, "verify")
    assert code == 0, out
    assert "OK whole log: 4 entries in 1 case(s)" in out

    await drop_guards(engine)
    await engine.run_ddl(
        f"UPDATE ledger_entry SET body = replace(body, '第2步', '第5步') WHERE hash = '{entries[2].hash}'"
    )
    code, out = await casetrail(settings, "verify", "case-7")
    assert code == 1
    assert f"first bad: entry {entries[2].hash} (case case-7 seq 2)" in out


async def test_verify_reports_an_entry_removed_from_the_log_instead_of_refusing_to_start(
    ledger, engine, settings
):
    entries = [await ledger.append(note("case-7", f"第{i}步")) for i in range(4)]
    await ledger.checkpoint()
    await drop_guards(engine)
    await engine.run_ddl(f"DELETE FROM ledger_entry WHERE hash = '{entries[2].hash}'")
    code, out = await casetrail(settings, "verify")
    assert code == 1, out
    assert "log index 2: missing from the log" in out
    assert "sequence gap" in out


async def test_an_exported_case_verifies_in_a_fresh_directory_with_no_database(
    ledger, settings, tmp_path
):
    await ledger.append(note("case-8", "询问笔录"))
    code, out = await casetrail(settings, "export", "case-8", "-o", str(tmp_path / "case-8.zip"))
    assert code == 0, out
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    (elsewhere / "agency.vkey").write_text(ledger.signer.vkey + "\n")
    env_free = {"CASETRAIL_DATA_DIR": str(elsewhere / "nothing-here")}

    async def verify(*extra: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            CASETRAIL, "verify", "--bundle", str(tmp_path / "case-8.zip"), *extra, cwd=elsewhere,
            env={**os.environ, **CHECKOUT, **env_free}, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await process.communicate()
        return process.returncode, out.decode()

    # The auditor has not said which key to trust: the bundle's own key proves nothing.
    code, out = await verify()
    assert code == 3, out
    assert "not verified: no trusted key" in out
    assert key_fingerprint(ledger.signer.vkey) in out and "OK" not in out
    code, out = await verify("--vkey", "agency.vkey")
    assert code == 0, out
    assert "OK bundle" in out and "1 checkpoints verified" in out
    assert not (elsewhere / "nothing-here").exists()


async def test_checkpoints_are_anchored_by_a_configured_time_stamp_authority(
    engine,
    settings,
    tsa,  # noqa: F811
):
    from backend.ledger.ledger import Ledger

    ledger = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name, tsa["url"])
    try:
        await ledger.append(note("case-9"))
        checkpoint = await ledger.checkpoint()
        token = (await ledger.timestamp_tokens())[checkpoint.size]
        assert verify_timestamp(token, checkpoint.note.encode(), tsa["chain"])
    finally:
        await ledger.close()


async def test_verify_names_the_bad_entry_without_a_traceback_when_a_body_is_not_json(
    ledger, engine, settings
):
    entries = [await ledger.append(note("case-j", f"第{i}步")) for i in range(3)]
    await ledger.checkpoint()
    await drop_guards(engine)
    await engine.run_ddl(
        f"UPDATE ledger_entry SET body = '{{not json' WHERE hash = '{entries[1].hash}'"
    )
    code, out = await casetrail(settings, "verify")
    assert code == 1, out
    assert "Traceback" not in out
    assert f"first bad: entry {entries[1].hash} (case case-j seq 1): stored body is not JSON" in out


async def test_verify_reports_a_dropped_table_without_a_traceback(ledger, engine, settings):
    await ledger.append(note("case-t"))
    await ledger.checkpoint()
    await drop_guards(engine)
    await engine.run_ddl("DROP TABLE ledger_checkpoint")
    code, out = await casetrail(settings, "verify")
    assert code == 1, out
    assert "Traceback" not in out
    assert "database: the log cannot be read" in out


async def test_verify_warns_when_entries_are_not_yet_under_any_checkpoint(ledger, settings):
    await ledger.append(note("case-w"))
    code, out = await casetrail(settings, "verify")
    assert code == 0, out
    assert "WARNING whole log: no signed checkpoint covers the log's 1 entries" in out


async def test_time_stamps_are_verified_carried_in_bundles_and_an_outage_is_reported(
    engine,
    settings,
    tsa,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    from backend.ledger.bundle import export_case, verify_bundle
    from backend.ledger.ledger import Ledger

    chain = tmp_path / "tsa-chain.pem"
    chain.write_bytes(tsa["chain"])
    ledger = Ledger.for_data_dir(engine, settings.data_dir, settings.log_name, tsa["url"])
    try:
        await ledger.append(note("case-ts"))
        stamped = await ledger.checkpoint()
        assert await ledger.protection_problems() == []
        bundle = tmp_path / "case-ts.zip"
        await export_case(ledger, None, "case-ts", bundle, held=set())
        report = await verify_bundle(bundle, [ledger.signer.vkey], tsa_chain=tsa["chain"])
        assert report.ok and report.timestamps == 1, report.problems

        # The TSA goes away: checkpoints go on, and the outage is said wherever one looks.
        ledger.tsa_url = "http://127.0.0.1:9/tsr"
        await ledger.append(note("case-ts", "第二步"))
        await ledger.checkpoint()
        [outage] = await ledger.protection_problems()
        assert outage.startswith("time-stamp authority unavailable: the last 1 checkpoint(s)")
    finally:
        await ledger.close()
    monkeypatch.setenv("CASETRAIL_TSA_URL", "http://127.0.0.1:9/tsr")
    code, out = await casetrail(settings, "verify", "--tsa-cert", str(chain))
    assert code == 0, out
    assert "1 time-stamps" in out
    assert "WARNING whole log: 1 checkpoint(s) signed without a time-stamp (sizes 2 to 2)" in out
    code, out = await casetrail(settings, "checkpoint")
    assert code == 0 and "WARNING: time-stamp authority unavailable" in out, out

    # A token moved onto another checkpoint does not vouch for it.
    await drop_guards(engine)
    token = (await engine.run_ddl("SELECT tsa_token FROM ledger_checkpoint WHERE tree_size = 1"))[0]
    await engine.run_ddl(
        f"UPDATE ledger_checkpoint SET tsa_token = '{token['tsa_token']}' WHERE tree_size = 2"
    )
    code, out = await casetrail(settings, "verify", "--tsa-cert", str(chain))
    assert code == 1 and "checkpoint of size 2: time-stamp does not verify" in out, out
    assert stamped.size == 1


async def test_the_checkpoint_api_shows_the_time_stamp_and_an_outage_in_words(
    settings,
    tsa,  # noqa: F811
    app_client,
):
    from tests.integration.conftest import signed_in

    ledger = app_client.app.state.ledger
    ledger.tsa_url = tsa["url"]
    await ledger.append(note("case-api"))
    supervisor = await signed_in(app_client, "supervisor", "zhengxiang-hrss")
    made = (await app_client.post("/api/log/checkpoint", headers=supervisor)).json()
    assert made["timestamped_at"] and made["problems"] == []
    ledger.tsa_url = "http://127.0.0.1:9/tsr"
    await ledger.append(note("case-api", "第二步"))
    made = (await app_client.post("/api/log/checkpoint", headers=supervisor)).json()
    assert made["timestamped_at"] is None
    assert made["problems"][0].startswith("time-stamp authority unavailable")
    shown = (await app_client.get("/api/log/checkpoint")).json()
    assert shown["problems"] == made["problems"]


async def test_verify_names_a_corrupt_bundle_without_a_traceback(settings, tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    (tmp_path / "agency.vkey").write_text("casetrail.local/log+00000000+AAAA\n")
    code, out = await casetrail(
        settings, "verify", "--bundle", str(broken), "--vkey", str(tmp_path / "agency.vkey")
    )
    assert code == 1, out
    assert "Traceback" not in out and "bundle broken.zip: unreadable" in out
