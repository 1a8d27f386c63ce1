"""Opens what a running CaseTrail needs (database, ledger, blob store) for the app and the CLI alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import ModuleType

from piccolo.engine.base import Engine

import backend.handoffs  # noqa: F401  connects later domains' answers to earlier ones' questions
from backend.blobstore import BlobStore, make_blob_store
from backend.database import close_engine, open_engine
from backend.domains import DOMAINS
from backend.evidence.ingest_checks import inspect_upload
from backend.evidence.uploads import UploadStore
from backend.identity import remembered
from backend.jobs import running_jobs
from backend.ledger.cosignature import Cosigner
from backend.ledger.guards import check_append_only
from backend.ledger.ledger import Ledger
from backend.ledger.witness import Witness
from backend.ledger.witnessing import parse_witnesses
from backend.migrations import append_only_tables, bind, migrate
from backend.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    ledger: Ledger
    blobs: BlobStore
    uploads: UploadStore  # the one store of resumable uploads: routes, import and sweep share it
    witness: Witness | None = None  # when this CaseTrail witnesses other logs


def projection_modules() -> list[ModuleType]:
    """The declared projections (`register(ledger)`, `rebuild_all(ledger)`), used domains first."""
    return [m for m in (d.module("projection") for d in DOMAINS) if m is not None]


def witness_of(settings: Settings) -> Witness | None:
    """This CaseTrail's witness for the logs in CASETRAIL_WITNESS_FOR, with its own key."""
    if not settings.witness_for:
        return None
    name = settings.witness_name or f"{settings.log_name}/witness"
    cosigner = Cosigner.load_or_create(settings.keys_dir / "witness.pem", name)
    return Witness(cosigner, list(settings.witness_for))


@asynccontextmanager
async def open_runtime(
    settings: Settings, projections: bool = True, auditing: bool = False
) -> AsyncIterator[Runtime]:
    """Create the data directory, apply migrations, check the guards, open the ledger.

    `auditing` opens the database as found (no migrations, no guard check, no projections), so
    that `verify` can examine a database someone tampered with and report it.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = await open_engine(settings.database_url)
    opened: list[Ledger] = []
    try:
        if auditing:
            bind(engine)
            projections = False
        else:
            await migrate(engine)
            await check_append_only(engine, append_only_tables())
        ledger = Ledger.for_data_dir(
            engine,
            settings.data_dir,
            settings.log_name,
            settings.tsa_url,
            parse_witnesses(settings.witnesses),
        )
        opened.append(ledger)
        if not auditing:  # verify rebuilds the log itself and reports gaps instead of failing
            await ledger.sync_tree()
        if projections:
            for module in projection_modules():
                await module.register(ledger)
        blobs = make_blob_store(settings.blob_store, settings.data_dir)
        runtime = Runtime(
            settings,
            engine,
            ledger,
            blobs,
            UploadStore(
                settings.data_dir / "uploads", blobs, settings.media_limits, inspect_upload
            ),
            witness_of(settings),
        )
        async with running_jobs(runtime, enabled=projections):  # domains' periodic jobs
            yield runtime
    finally:
        await remembered.refreshed()  # answers being asked again, before their database goes
        for ledger in opened:
            await ledger.close()
        await close_engine(engine)
