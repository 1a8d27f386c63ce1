"""`casetrail invite --agency ID --role ROLE [--name ... --unit ... --cert ...]`: a one-time registration link.

`casetrail invite --staff STAFF_ID`: a one-time link that adds a passkey to an existing staff member
(a new phone, a lost passkey, a demo person), who then signs in as themselves.
"""

from __future__ import annotations

import argparse

from backend.cli import Runtime, command, run
from backend.identity.invites import create_enrolment, create_invite
from backend.identity.roles import ROLES
from backend.settings import Settings


@command("invite")
def invite(args: argparse.Namespace, settings: Settings) -> int:
    if not args.staff and not (args.agency and args.role):
        print("casetrail invite: give --staff STAFF_ID, or --agency and --role")
        return 2

    async def work(rt: Runtime) -> str:
        if args.staff:
            return (await create_enrolment(settings, args.staff, ledger=rt.ledger))["link"]
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
    p.add_argument("--agency", help="agency id (created if missing)")
    p.add_argument("--role", action="append", choices=ROLES, help="repeatable")
    p.add_argument("--staff", help="an existing staff member's id: a link to add their passkey")
    p.add_argument("--name", help="the person's name as shown in the app")
    p.add_argument("--unit", help="the person's unit (科室), shown beside their name")
    p.add_argument("--cert", help="their enforcement certificate number (执法证号)")
