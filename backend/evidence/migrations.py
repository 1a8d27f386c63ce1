"""Schema steps for evidence: media and device projections, derivative blobs."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.evidence.tables import EvidenceDerivative, EvidenceDevice, EvidenceMedia
from backend.migrations import add_column


async def create_evidence_tables(engine: Engine) -> None:
    await EvidenceMedia.create_table(if_not_exists=True)
    await EvidenceDerivative.create_table(if_not_exists=True)
    await EvidenceDevice.create_table(if_not_exists=True)
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS evidence_derivative_variant "
        "ON evidence_derivative (original, variant)"
    )
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS evidence_device_number "
        "ON evidence_device (agency_id, number)"
    )


async def project_recorder_files(engine: Engine) -> None:
    # evidence_media now also holds recorder files: the projection is derived, so forget it and let
    # start-up replay the log into it.
    for table in ("evidence_media", "evidence_device"):
        await engine.run_ddl(f"DELETE FROM {table}")
    await engine.run_ddl("DELETE FROM projection_cursor WHERE name = 'evidence'")


async def key_device_numbers(engine: Engine) -> None:
    # Devices are matched by their normalised number; the projection is derived, so it is
    # replayed from the log with the key filled in.
    await add_column(engine, "evidence_device", "number_key", "VARCHAR(120)")
    await project_recorder_files(engine)
    await engine.run_ddl(
        "CREATE UNIQUE INDEX IF NOT EXISTS evidence_device_number_key "
        "ON evidence_device (agency_id, number_key)"
    )


MIGRATIONS = [
    ("evidence.0001_media_derivatives_devices", create_evidence_tables),
    ("evidence.0002_project_recorder_files", project_recorder_files),
    ("evidence.0003_device_number_keys", key_device_numbers),
]
