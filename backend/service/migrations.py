"""Schema steps for the service domain."""

from __future__ import annotations

from piccolo.engine.base import Engine

from backend.service.tables import PublicCopy, PublicNotice, ServiceLink


async def create_service_tables(engine: Engine) -> None:
    for table in (ServiceLink, PublicNotice, PublicCopy):
        await table.create_table(if_not_exists=True)


MIGRATIONS = [("service.0001_links_notices", create_service_tables)]
APPEND_ONLY_TABLES: list[str] = []
