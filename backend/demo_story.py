"""The demo's five cases per agency, each left at a different point of the procedure.

Archived a week ago; served by a link the party confirmed; served by public notice; a proposal
made without the rights notice and with a recording uploaded days late (missing and late in
compliance); opened yesterday. Then the links a newcomer signs in with.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from backend import demo_media as media
from backend.demo_cast import ROLE_ORDER, Matter
from backend.demo_steps import DEVICE, AgencySteps
from backend.ledger.entry import utc_iso


class AgencyStory(AgencySteps):
    """An agency's cases, told step by step at the moments they happened."""

    async def archived(self, matter: Matter) -> None:
        """Opened a month ago, decided, served in person, paid and archived."""
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        demo.at(-30, 9, 15)
        case_id = await self.open_case(matter, o1, o2)
        inspection = await self.inspect(case_id, matter, -30)
        inquiry = await self.inquire(case_id, matter, -29)
        notice = await self.rights(case_id, matter, -27)
        letter = await self.decide(case_id, matter, -23)
        demo.at(-21, 10, 30)
        step = "record.service_direct"
        served = await self.record(
            o1,
            case_id,
            step,
            {
                "served_entry": letter["hash"],
                "document_name": "行政处罚决定书",
                "document_number": letter["payload"]["number"],
                "recipient": matter.party.name,
                "server": f"{o1.name}、{o2.name}",
                "served_at": utc_iso(demo.moment - timedelta(minutes=5)),
                "place": matter.party.address,
                "signer": matter.party.name,
                "signer_relation": "本人",
                "signatures": [
                    await self.signature(o1, case_id, "officer", o1.name, step),
                    await self.signature(o1, case_id, "recipient", matter.party.name, step),
                ],
            },
        )
        demo.later(4)
        await self.document(o1, case_id, "service_receipt", served["hash"])
        demo.at(-12, 11, 0)
        await self.record(
            o1,
            case_id,
            "record.performance",
            {
                "performed": True,
                "details": "当事人已按决定履行。",
                "paid_amount": matter.fine,
                "receipt_number": f"NS{self.rng.randint(10**7, 10**8 - 1)}",
                "performed_at": utc_iso(demo.moment - timedelta(hours=2)),
            },
        )
        demo.at(-6, 15, 0)
        archivist = self.staff["archivist"]
        await self.record(
            archivist,
            case_id,
            "record.archive",
            {
                "dossier_number": f"{self.cast.short}档〔{self.demo.today.year}〕{self.rng.randint(10, 99)}号",
                "materials": [
                    {"entry": e["hash"], "title": t}
                    for e, t in (
                        (inspection, "现场检查笔录"),
                        (inquiry, "询问笔录"),
                        (notice, "权利告知书"),
                        (letter, "行政处罚决定书"),
                        (served, "送达回证"),
                    )
                ],
                "av_storage": "音像资料随案电子存档",
                "archivist": archivist.name,
                "retention": "长期",
            },
        )

    async def served_by_link(self, matter: Matter) -> None:
        """Decided last week; the party agreed to electronic service and confirmed on their phone."""
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        demo.at(-12, 9, 0)
        case_id = await self.open_case(matter, o1, o2)
        await self.inspect(case_id, matter, -12)
        await self.rights(case_id, matter, -10, document=True)
        letter = await self.decide(case_id, matter, -7)
        demo.at(-5, 10, 0)
        consent_sig = await self.signature(
            o1, case_id, "party", matter.party.name, "service.consent"
        )
        await self.demo.call(
            o1.client,
            "POST",
            f"/api/cases/{case_id}/service/consent",
            headers=o1.headers,
            json={
                "kind": "service.consent",
                "client_id": str(self._uuid()),
                "device": DEVICE,
                "claimed": self._claim(),
                "payload": {
                    "recipient": matter.party.name,
                    "channels": ["link"],
                    "contact": matter.party.phone,
                    "signed_at": utc_iso(demo.moment - timedelta(minutes=2)),
                    "signatures": [consent_sig],
                },
            },
        )
        demo.later(3)
        made = await self.demo.call(
            o1.client,
            "POST",
            f"/api/cases/{case_id}/service/links",
            headers=o1.headers,
            json={"client_id": str(self._uuid()), "document_entry": letter["hash"]},
        )
        # The party opens the link on their phone that evening and signs for it.
        party = self.demo.client()
        carried = {
            "x-party-token": made["token"],
            "user-agent": "Mozilla/5.0 (Linux; Android 14) Mobile",
        }
        demo.at(-5, 19, 40)
        await self.demo.call(party, "GET", "/api/party", headers=carried)
        await self.demo.call(party, "GET", "/api/party/document", headers=carried)
        demo.later(2)
        png, strokes = media.handwriting(matter.party.name, self._seed())
        await self.demo.call(
            party,
            "POST",
            "/api/party/confirm",
            headers=carried,
            json={
                "method": "drawn",
                "png_base64": base64.b64encode(png).decode(),
                "strokes": strokes,
            },
        )
        # Served: the officer moves the case on to service (no record kind of its own says so).
        demo.at(-4, 9, 10)
        await self.record(o1, case_id, "case.stage", {"stage": "service"})

    async def served_by_notice(self, matter: Matter) -> None:
        """The party could not be found: the decision is served by a notice on the public board."""
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        demo.at(-20, 9, 30)
        case_id = await self.open_case(matter, o1, o2)
        await self.inspect(case_id, matter, -20)
        await self.rights(case_id, matter, -18)
        decision = await self.decide(case_id, matter, -15, letter=False)
        number = f"{self.cast.short}〔{self.demo.today.year}〕{self.rng.randint(100, 199)}号"
        demo.at(-3, 9, 0)
        published = self.demo.today - timedelta(days=3)
        record = await self.record(
            o1,
            case_id,
            "record.service_public_notice",
            {
                "served_entry": decision["hash"],
                "document_name": "行政处罚决定书",
                "document_number": number,
                "recipient": matter.party.name,
                "server": o1.name,
                "other_ways_failed": "直接送达两次未遇，电话无人接听，邮寄送达被退回。",
                "medium": "website",
                "published_from": published.isoformat(),
                "period_days": 60,
                "notice_text": f"{matter.party.name}：本机关对你（单位）作出的行政处罚决定书，因无法直接送达，现予公告送达。",
            },
        )
        demo.later(40)  # posted on the board and photographed there
        board = media.street_scene(self._seed(), "公告栏 政务公开", "")
        await self.capture(
            o1,
            case_id,
            "media.photo",
            media.camera_jpeg(board, demo.moment, *self.spot),
            "image/jpeg",
            "IMG_notice.jpg",
            demo.moment,
            {
                "step": "record.service_public_notice",
                "for_entry": record["hash"],
                "caption": "公告张贴现场",
            },
        )
        demo.later(6)
        notice_doc = await self.document(o1, case_id, "public_notice", record["hash"])
        demo.later(4)
        await self.demo.call(
            o1.client,
            "POST",
            f"/api/cases/{case_id}/notices",
            headers=o1.headers,
            json={
                "client_id": str(self._uuid()),
                "purpose": "service",
                "title": f"关于送达{matter.title.removesuffix('案')}行政处罚决定书的公告",
                "text": record["payload"]["notice_text"],
                "document_entry": notice_doc["hash"],
                "service_record": record["hash"],
                "start_date": published.isoformat(),
            },
        )

    async def late_and_missing(self, matter: Matter) -> None:
        """A proposal written without the rights notice, and a recorder file uploaded days late."""
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        demo.at(-16, 9, 0)
        case_id = await self.open_case(matter, o1, o2)
        await self.inspect(case_id, matter, -15, late_video_day=-2)
        demo.at(-1, 10, 0)
        await self.record(
            o1,
            case_id,
            "record.handler_proposal",
            {
                "facts": matter.findings,
                "legal_basis": matter.basis,
                "proposal": matter.outcome,
                "drafter": o1.name,
            },
        )

    async def just_opened(self, matter: Matter) -> None:
        """Opened yesterday on a report; the opening is approved, nothing else yet."""
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        demo.at(-1, 15, 10)
        case_id = await self.open_case(matter, o2, o1)
        demo.later(10)
        await self.photo(o2, case_id, matter, "record.case_opening_approval", "现场初查照片")

    async def invite_newcomers(self) -> None:
        """One-time sign-in links, one per role, each for the demo person in that role: the newcomer
        registers a passkey for that person (an enrolment link, as for a new phone) and sees their
        cases. Made by the agency's administrator, on the agency timeline like any invitation."""
        from backend.identity import invites

        demo = self.demo
        demo.ledger.clock = lambda: datetime.now(UTC)
        admin = self.staff["admin"]
        lines = []
        for role in ROLE_ORDER:
            person = self.staff[role]
            made = await invites.create_enrolment(
                demo.settings, person.staff_id, created_by=admin.staff_id, ledger=demo.ledger
            )
            lines.append((role, person.person.name, person.staff_id, made["link"]))
        demo.links[self.cast.agency_id] = lines
