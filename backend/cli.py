"""`casetrail serve | init | invite | verify | export | rebuild | checkpoint | demo`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from backend.domains import DOMAINS
from backend.errors import CaseTrailError, Invalid
from backend.evidence.holdings import blobs_held
from backend.identity.signatures import (
    bundle_signature_problems,
    key_rows_for,
    verify_signatures,
)
from backend.ledger.bundle import export_case, verify_bundle
from backend.ledger.checkpoint import (
    ALG_COSIGNATURE_V1,
    CheckpointError,
    key_fingerprint,
    parse_vkey,
)
from backend.ledger.guards import check_append_only
from backend.ledger.verify import Problem, Report, promises_in, verify_database
from backend.migrations import append_only_tables
from backend.runtime import Runtime, open_runtime, projection_modules
from backend.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


def run(
    settings: Settings,
    work: Callable[[Runtime], object],
    projections: bool = True,
    auditing: bool = False,
) -> object:
    async def main() -> object:
        async with open_runtime(settings, projections, auditing) as runtime:
            return await work(runtime)  # type: ignore[misc]

    return asyncio.run(main())


NOT_TRUSTED = 3  # exit status: consistent in itself, but nothing the reader trusts vouches for it


def print_report(report: Report, what: str) -> int:
    for warning in report.warnings:
        print(f"WARNING {what}: {warning}", file=sys.stderr)
    if report.ok:
        promised = f", {report.promises} promises" if report.promises else ""
        promised += f", {report.timestamps} time-stamps" if report.timestamps else ""
        print(
            f"OK {what}: {report.entries} entries in {report.cases} case(s), "
            f"{report.blobs} blobs, {report.checkpoints} checkpoints{promised} verified"
        )
        return 0
    if report.untrusted_key:
        print(
            f"{what}: not verified: no trusted key. It is signed by {report.untrusted_key}\n"
            f"  fingerprint {key_fingerprint(report.untrusted_key)}: compare it with the key the "
            "agency publishes, then verify again with --vkey FILE",
            file=sys.stderr,
        )
        if not report.problems:
            return NOT_TRUSTED
    first = report.first()
    print(f"FAILED {what}: first bad: {first}", file=sys.stderr)
    for problem in report.problems:
        print(f"  - {problem}", file=sys.stderr)
    return 1


@command("init")
def init(args: argparse.Namespace, settings: Settings) -> int:
    async def work(rt: Runtime) -> None:
        await announce(rt)

    run(settings, work)
    return 0


async def announce(rt: Runtime) -> None:
    """What `init` prints, and `serve` once its app has opened the runtime."""
    settings = rt.settings
    print(f"CaseTrail data directory: {settings.data_dir}")
    print(f"Database: {settings.database_url}")
    print(f"Checkpoint verifier key: {rt.ledger.signer.vkey}")
    if rt.witness is not None:
        print(f"Witness verifier key: {rt.witness.cosigner.vkey}")
    link = await first_admin_link(settings)
    if link:
        print(f"First administrator registration link: {link}")
    print(f"CaseTrail is at {settings.public_url}", flush=True)


async def first_admin_link(settings: Settings) -> str | None:
    from backend.identity.bootstrap import first_admin_link as make_link

    return await make_link(settings)


@command("serve")
def serve(args: argparse.Namespace, settings: Settings) -> int:
    from backend import serving

    if args.workers < 1:
        print("casetrail serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        print(
            "casetrail serve: --workers above 1 needs PostgreSQL (CASETRAIL_DATABASE_URL="
            "postgresql://...). SQLite is served by one process: it takes one writer at a time, "
            "and the throttles and locks of a SQLite server live in that process.",
            file=sys.stderr,
        )
        return 2
    if args.workers > 1:
        # Migrated once, here, before the workers fork: each then opens the runtime for itself
        # (projections catch up and periodic jobs start there, not in this parent).
        run(settings, announce, projections=False)
        app: object = "backend.app:create_app"
    else:
        # One process opens the runtime once, in the app (migrations, guards, the tree's edge,
        # projections): opening it first for `init` as well doubled the time a restart leaves
        # officers without a server.
        from backend.app import create_app

        app = create_app(settings, on_open=announce)
    serving.run(
        args.host,
        args.port,
        settings.connection_limits,
        workers=args.workers,
        access_log=args.access_log,
        app=app,
    )
    return 0


def trusted_keys(args: argparse.Namespace) -> list[str]:
    """The verifier keys the reader trusts: each --vkey file, else the pinned key file."""
    files = list(args.vkey) or (
        [os.environ["CASETRAIL_TRUSTED_KEYS"]] if os.environ.get("CASETRAIL_TRUSTED_KEYS") else []
    )
    keys = []
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as unreadable:
            raise Invalid(f"trusted key file {name} is unreadable: {unreadable}") from None
        keys += [
            line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
        ]
    return keys


def witness_key(text: str) -> str:
    """A witness verifier key given as itself or as a file holding it."""
    path = Path(text)
    key = path.read_text(encoding="utf-8").strip() if "+" not in text and path.is_file() else text
    try:
        parse_vkey(key.strip(), ALG_COSIGNATURE_V1)
    except CheckpointError as bad:
        raise Invalid(f"--witness {text}: {bad}") from None
    return key.strip()


def _read_json(name: str, what: str) -> object:
    try:
        return json.loads(Path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as unreadable:
        raise Invalid(f"{what} {name} is unreadable: {unreadable}") from None


@command("verify")
def verify(args: argparse.Namespace, settings: Settings) -> int:
    trusted = trusted_keys(args)
    pinned = []
    for name in args.checkpoint:
        try:
            pinned.append(Path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as unreadable:
            raise Invalid(f"checkpoint file {name} is unreadable: {unreadable}") from None
    promises = [p for name in args.promises for p in promises_in(_read_json(name, "promise file"))]
    witnesses = [witness_key(text) for text in args.witness]
    tsa_chain = None
    if args.tsa_cert or settings.tsa_cert:
        name = args.tsa_cert or settings.tsa_cert
        try:
            tsa_chain = Path(name).read_bytes()
        except OSError as unreadable:
            raise Invalid(f"TSA certificate file {name} is unreadable: {unreadable}") from None
    if witnesses and not 1 <= args.quorum <= len(witnesses):
        raise Invalid(f"--quorum must be between 1 and the {len(witnesses)} witnesses given")
    if args.receipt:
        from backend.service.receipts import verify_receipt

        try:
            receipt = json.loads(Path(args.receipt).read_text(encoding="utf-8"))
        except (OSError, ValueError) as unreadable:
            print(f"FAILED receipt {args.receipt}: unreadable: {unreadable}", file=sys.stderr)
            return 1
        document = Path(args.document) if args.document else None
        trusted_one = trusted[0] if trusted else None
        return print_report(
            verify_receipt(receipt, trusted_one, document), f"receipt {args.receipt}"
        )
    if args.bundle:
        report = asyncio.run(
            verify_bundle(
                Path(args.bundle),
                trusted,
                witnesses,
                args.quorum,
                bundle_signature_problems,
                tsa_chain,
            )
        )
        return print_report(report, f"bundle {args.bundle}")

    async def work(rt: Runtime) -> Report:
        report = Report()
        # Each stage reports what it cannot read instead of ending verification with a traceback.
        try:
            report = await verify_database(
                rt.ledger,
                rt.blobs,
                args.case,
                pinned,
                promises,
                trusted[0] if trusted else None,
                witnesses,
                args.quorum,
                tsa_chain,
            )
        except Exception as unreadable:
            report.problems.append(Problem("database", f"the log cannot be read: {unreadable}"))
            return report
        # Passkey approvals are checked against the public keys the ledger itself recorded.
        try:
            for case_id in [args.case] if args.case else await rt.ledger.case_ids():
                report.problems += await verify_signatures(rt.ledger, case_id)
        except Exception as unreadable:
            report.problems.append(
                Problem("signatures", f"passkey signatures cannot be checked: {unreadable}")
            )
        try:
            await check_append_only(rt.engine, append_only_tables())
        except CaseTrailError as missing:
            report.problems.append(Problem("database", missing.message))
        except Exception as unreadable:
            report.problems.append(Problem("database", f"guards cannot be read: {unreadable}"))
        return report

    report = run(settings, work, auditing=True)
    return print_report(report, f"case {args.case}" if args.case else "whole log")  # type: ignore[arg-type]


@command("checkpoint")
def checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    async def work(rt: Runtime) -> None:
        made = await rt.ledger.checkpoint()
        print(made.note, end="")
        for problem in await rt.ledger.protection_problems():
            print(f"WARNING: {problem}", file=sys.stderr)

    run(settings, work)
    return 0


@command("export")
def export(args: argparse.Namespace, settings: Settings) -> int:
    async def work(rt: Runtime) -> None:
        held = await blobs_held(args.case)
        manifest = await export_case(
            rt.ledger, rt.blobs, args.case, Path(args.output), held, await key_rows_for(args.case)
        )
        print(f"wrote {args.output}: {manifest['entries']} entries, {len(manifest['blobs'])} blobs")

    run(settings, work)
    return 0


@command("rebuild")
def rebuild(args: argparse.Namespace, settings: Settings) -> int:
    async def work(rt: Runtime) -> None:
        for module in projection_modules():
            print(f"{module.__name__}: {await module.rebuild_all(rt.ledger)} entries replayed")

    run(settings, work, projections=False)
    return 0


@command("demo")
def demo(args: argparse.Namespace, settings: Settings) -> int:
    from backend.demo import demo_settings, fill, printout

    print(printout(asyncio.run(fill(demo_settings(settings, args.data_dir)))))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="casetrail", description="CaseTrail 执法全过程记录")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="initialise if needed and serve the app")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes on this port (PostgreSQL only; SQLite is served by one)",
    )
    s.add_argument(
        "--access-log",
        action="store_true",
        help="also log a line per HTTP request (off: the log's own access entries are the record)",
    )
    sub.add_parser("init", help="create the data directory, database and signing key")
    v = sub.add_parser("verify", help="verify a case, the whole log, or an exported bundle")
    v.add_argument("case", nargs="?", help="case id (default: the whole log)")
    v.add_argument("--bundle", help="verify an exported bundle offline instead of the database")
    v.add_argument("--receipt", help="verify a party's service receipt (JSON) offline")
    v.add_argument("--document", help="with --receipt: the served PDF to check against it")
    v.add_argument(
        "--vkey",
        action="append",
        default=[],
        help="file with trusted verifier key(s), one a line (default: $CASETRAIL_TRUSTED_KEYS)",
    )
    v.add_argument(
        "--witness",
        action="append",
        default=[],
        help="a trusted witness's verifier key (or a file holding it); repeatable",
    )
    v.add_argument(
        "--quorum", type=int, default=1, help="how many of the --witness keys must cosign"
    )
    v.add_argument(
        "--tsa-cert",
        help="PEM with the time-stamp authority's certificate and chain (default: $CASETRAIL_TSA_CERT)",
    )
    v.add_argument(
        "--promises",
        action="append",
        default=[],
        help="JSON file holding signed promises (an outbox's sent items, a receipt...)",
    )
    v.add_argument(
        "--checkpoint", action="append", default=[], help="a checkpoint note kept elsewhere"
    )
    sub.add_parser("checkpoint", help="sign a checkpoint of the log now")
    e = sub.add_parser("export", help="export a case as a verifiable bundle")
    e.add_argument("case")
    e.add_argument("-o", "--output", required=True)
    sub.add_parser("rebuild", help="rebuild every projection from the ledger")
    d = sub.add_parser("demo", help="fill a new, empty data directory with demo agencies and cases")
    d.add_argument("--data-dir", help="where to write (default: $CASETRAIL_DATA_DIR or ./data)")
    for domain in DOMAINS:
        # A domain's declared commands module registers each handler with @command.
        module = domain.module("commands")
        if module is not None:
            module.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args, Settings.from_env())
    except CaseTrailError as refused:
        print(f"casetrail {args.command}: {refused.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    # Run through the importable module so domains' @command registrations land in one COMMANDS.
    from backend.cli import main as package_main

    sys.exit(package_main())
