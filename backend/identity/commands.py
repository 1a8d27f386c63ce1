"""`casetrail invite --agency ID --role ROLE [--name ... --unit ... --cert ...]`: a one-time registration link."""

from __future__ import annotations

import argparse

from backend.cli import Runtime, command, run
from backend.identity.invites import create_invite
from backend.identity.roles import ROLES
from backend.settings import Settings


@command("invite")
def invite(args: argparse.Namespace, settings: Settings) -> int:
    async def work(rt: Runtime) -> str:
        made = await create_invite(
            settings,
            args.agency,
            args.role,
            name=args.name or "",
            ledger=rt.ledger,
            unit_id=args.unit,
            cert_number=args.cert,
        )
        return made["link"]

    link = run(settings, work, projections=False)
    print(f"One-time registration link (valid 3 days): {link}")
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("invite", help="print a one-time passkey registration link")
    p.add_argument("--agency", required=True, help="agency id (created if missing)")
    p.add_argument("--role", action="append", required=True, choices=ROLES, help="repeatable")
    p.add_argument("--name", help="the person's name as shown in the app")
    p.add_argument("--unit", help="the person's unit (科室), shown beside their name")
    p.add_argument("--cert", help="their enforcement certificate number (执法证号)")
