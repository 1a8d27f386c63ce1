"""The restore drill: a backup of the database and its blobs, restored elsewhere, verifies.

`scripts/restore_drill.sh` dumps a PostgreSQL database, copies the data directory (keys,
blobs), restores both into a fresh database and directory and runs `casetrail verify` there. Its
short version runs here on a case with photos and recordings; a backup missing a blob fails it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from tests.conftest import _pg_admin, pg_url
from tests.engines import ENGINE
from tests.integration.review.casebook import build_case
from tests.integration.servers import ROOT

pytestmark = pytest.mark.skipif(ENGINE != "postgres", reason="the drill backs up PostgreSQL")


@pytest.fixture
async def restored_name():
    name = f"ct_restored_{uuid.uuid4().hex[:10]}"
    yield name
    await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def drill(settings, database_url: str, target: str, work) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "bash",
            str(ROOT / "scripts" / "restore_drill.sh"),
            database_url,
            str(settings.data_dir),
            pg_url(target),
            str(work),
        ],  # fmt: skip
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_a_restored_backup_of_database_and_blobs_verifies(
    projected, blobs, settings, database_url, tmp_path, restored_name
):
    await build_case(projected, blobs, tmp_path)
    await projected.checkpoint()
    done = drill(settings, database_url, restored_name, tmp_path / "drill")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED" in done.stdout
    assert "\nOK " in done.stdout  # verify's own verdict on the restored copy


async def test_a_backup_that_lost_a_blob_fails_the_drill(
    projected, blobs, settings, database_url, tmp_path, restored_name
):
    await build_case(projected, blobs, tmp_path)
    await projected.checkpoint()
    blob = next(p for p in (settings.data_dir / "blobs").rglob("*") if p.is_file())
    blob.unlink()  # as a blob copy that was never taken
    done = drill(settings, database_url, restored_name, tmp_path / "drill")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED" in done.stdout
