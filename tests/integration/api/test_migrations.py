"""An existing database is brought up to date by the steps it has not had yet."""

from __future__ import annotations

from backend.migrations import SchemaMigration, migrate
from tests.engines import ENGINE


async def columns(engine, table: str) -> set[str]:
    if ENGINE == "postgres":
        rows = await engine.run_ddl(
            f"SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}'"
        )
    else:
        rows = await engine.run_ddl(f"PRAGMA table_info({table})")
    return {r["name"] for r in rows}


async def test_a_database_from_before_invite_certificates_gains_the_columns(engine):
    # As the database was before the step existed: no columns, step not recorded.
    for column in ("cert_number", "cert_valid_until"):
        await engine.run_ddl(f"ALTER TABLE identity_invite DROP COLUMN {column}")
    await SchemaMigration.delete().where(
        SchemaMigration.name == "identity.0002_invite_certificates"
    )
    assert "cert_number" not in await columns(engine, "identity_invite")

    assert await migrate(engine) == ["identity.0002_invite_certificates"]
    assert {"cert_number", "cert_valid_until"} <= await columns(engine, "identity_invite")
    assert await migrate(engine) == []
