"""Schema steps for evidence: media and device projections, derivative blobs."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.evidence.tables import EvidenceDerivative, EvidenceDevice, EvidenceMedia


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


MIGRATIONS = [
    ("evidence.0001_media_derivatives_devices", create_evidence_tables),
    ("evidence.0002_project_recorder_files", project_recorder_files),
]
