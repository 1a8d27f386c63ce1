"""The domains of CaseTrail on one page: what each may use and what it brings to the wiring.

Like a Piccolo `AppConfig`, each `Domain` declares its parts; the wiring (app, runtime, migrations,
jobs, CLI) reads this list and nothing else, so a domain that is not declared here is not served,
migrated or scheduled, and a declared part that fails to import stops the start with its real error.

Parts are module names inside the domain's package, imported when the wiring asks for them: the
migrations runner must not import every route (and `commands` modules import `backend.cli`, which
reads this file), so the declaration cannot hold the modules themselves.

`uses` is the import rule between domains: a domain imports only the domains it names (the wiring
modules import any). Migration and projection order is a topological sort of `uses`, so a domain's
tables exist before those of a domain that uses it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

Part = Literal["tables", "migrations", "projection", "jobs", "commands"]


@dataclass(frozen=True)
class Domain:
    name: str
    uses: tuple[str, ...] = ()
    tables: str | None = None  # Piccolo tables (every Table subclass in the module)
    migrations: str | None = None  # MIGRATIONS = [(name, step)], APPEND_ONLY_TABLES
    routes: tuple[str, ...] = ()  # each has API_ROUTES (under /api) and/or ROOT_ROUTES
    projection: str | None = None  # async register(ledger), async rebuild_all(ledger)
    jobs: str | None = None  # jobs(runtime) -> list[Job]
    commands: str | None = None  # add_commands(subparsers), handlers registered with @command

    def module(self, part: Part) -> ModuleType | None:
        """The domain's module for `part`, or None when it declares none."""
        name = getattr(self, part)
        return None if name is None else importlib.import_module(f"backend.{self.name}.{name}")

    def route_modules(self) -> list[ModuleType]:
        return [importlib.import_module(f"backend.{self.name}.{name}") for name in self.routes]


DECLARED = (
    Domain(
        "ledger",
        tables="tables",
        migrations="migrations",
        routes=("routes",),
        jobs="jobs",
    ),
    Domain(
        "identity",
        uses=("ledger",),
        tables="tables",
        migrations="migrations",
        routes=("routes",),
        projection="projection",
        commands="commands",
    ),
    Domain(
        "cases",
        uses=("ledger", "identity"),
        tables="tables",
        migrations="migrations",
        routes=("routes",),
        projection="projection",
    ),
    Domain(
        "evidence",
        uses=("ledger", "identity", "cases"),
        tables="tables",
        migrations="migrations",
        routes=("routes",),
        projection="projection",
        jobs="jobs",
    ),
    Domain(
        # Body-worn recorder and fixed-camera files: custody on the agency timeline, links to cases,
        # the import tokens of `casetrail import` (identity's authentication reads them).
        "recordings",
        uses=("ledger", "identity", "cases", "evidence"),
        routes=("routes",),
        commands="commands",
    ),
    Domain(
        # The generic append and read routes of a case timeline: identity's rules, evidence's holdings.
        "timeline",
        uses=("ledger", "identity", "evidence"),
        routes=("routes",),
    ),
    Domain(
        "service",
        uses=("ledger", "identity", "cases", "evidence"),
        tables="tables",
        migrations="migrations",
        routes=("routes",),
    ),
    Domain(
        "review",
        uses=("ledger", "identity", "cases", "evidence", "service", "recordings"),
        tables="tables",
        migrations="migrations",
        routes=("routes",),
        jobs="jobs",
    ),
    Domain(
        "notify",
        uses=("ledger", "identity", "cases", "evidence", "review"),
        tables="tables",
        migrations="migrations",
        routes=("routes",),
        projection="projection",
        jobs="jobs",
    ),
    Domain(
        "export",
        uses=("ledger", "identity", "cases", "evidence"),
        routes=("routes",),
    ),
)


def ordered(domains: tuple[Domain, ...] = DECLARED) -> list[Domain]:
    """Every domain after the domains it uses; ties keep the order of declaration."""
    names = {d.name for d in domains}
    for domain in domains:
        unknown = set(domain.uses) - names
        if unknown:
            raise ValueError(f"domain {domain.name} uses undeclared {sorted(unknown)}")
    placed: list[Domain] = []
    waiting = list(domains)
    while waiting:
        done = {d.name for d in placed}
        ready = next((d for d in waiting if done.issuperset(d.uses)), None)
        if ready is None:
            raise ValueError(f"domains use each other in a cycle: {[d.name for d in waiting]}")
        placed.append(ready)
        waiting.remove(ready)
    return placed


DOMAINS: list[Domain] = ordered()
