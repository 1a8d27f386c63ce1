"""`casetrail demo`: a data directory with one agency per rule pack and cases at every stage.

The demo drives the real app in-process, over HTTP, as its officers' phones and the party's
browser would: cases are opened and records appended through the same routes, captures are
uploaded with tus and finalised through the ingest path (so findings and evidence_media are
right), documents are rendered by the documents code, parties confirm through their link.
Only two things are not what a phone does: the staff sign in by a session the demo starts for
them (they have no passkeys), and time. A case "opened three weeks ago" was received three weeks
ago: the ledger's clock is set for each step, and media are finalised with that moment as `now`,
so upload deadlines count as they would have. Everything stays valid for `casetrail verify`.

Newcomers sign in with the one-time registration links printed at the end (one per agency and
role, the invitation mechanism an administrator uses).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from litestar import Litestar

from backend import demo_media as media
from backend.demo_cast import CASTS, ROLE_ORDER, ROLE_TITLES, AgencyCast, Matter, Person
from backend.errors import CaseTrailError, Invalid
from backend.ledger.entry import utc_iso
from backend.settings import Settings

SEED = 18
CHINA = media.CHINA
DEVICE = "demo-phone"
STAGE_TITLES = {
    "start": "程序启动",
    "investigation": "调查取证",
    "review_decision": "审查决定",
    "service": "送达",
    "execution": "执行",
    "archive": "归档",
}


class DemoRefused(CaseTrailError):
    """The demo writes only into an empty data directory and an empty database."""

    status, code = 409, "demo_needs_empty_data_dir"


def check_empty(settings: Settings) -> None:
    data_dir = settings.data_dir
    if data_dir.exists() and any(data_dir.iterdir()):
        raise DemoRefused(
            f"{data_dir} 不是空目录，演示数据只写入新的数据目录 / {data_dir} is not empty: the demo "
            "fills only a new data directory. Choose another one, e.g. "
            "CASETRAIL_DATA_DIR=./demo-data casetrail demo"
        )


@dataclass
class Staff:
    """A demo staff member with a signed-in HTTP client of their own."""

    person: Person
    staff_id: str
    client: httpx.AsyncClient
    headers: dict[str, str]

    @property
    def name(self) -> str:
        return self.person.name

    def officer_line(self) -> dict[str, Any]:
        return {"name": self.name, "certificate_no": self.person.cert or "", "shown": True}


@dataclass
class Demo:
    """One demo run: the app, its ledger, the moment the demo is "at", and what was made."""

    app: Litestar
    settings: Settings
    today: date
    rng: random.Random
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    moment: datetime = field(default_factory=lambda: datetime.now(UTC))
    cases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    @property
    def ledger(self) -> Any:
        return self.app.state.ledger

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        """A moment `day` days from today (negative: past), at a local (UTC+8) wall-clock time."""
        local = datetime.combine(self.today + timedelta(days=day), time(hour, minute), CHINA)
        self.moment = local.astimezone(UTC)
        return self.moment

    def later(self, minutes: int) -> datetime:
        self.moment += timedelta(minutes=minutes)
        return self.moment

    def client(self) -> httpx.AsyncClient:
        made = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=("127.0.0.1", 40000)),
            base_url=self.settings.public_url,
            headers={"user-agent": "CaseTrail demo"},
        )
        self.clients.append(made)
        return made

    async def call(self, who: httpx.AsyncClient, method: str, path: str, **kw: Any) -> Any:
        """One request, received by the server at the demo's moment; a refusal stops the demo."""
        self.ledger.clock = lambda at=self.moment: at
        answer = await who.request(method, path, **kw)
        if answer.status_code >= 400:
            raise Invalid(
                f"demo step {method} {path} was refused: {answer.text[:400]}", "demo_step"
            )
        return (
            answer.json()
            if answer.content and "json" in answer.headers.get("content-type", "")
            else None
        )


def claimed(moment: datetime, spot: tuple[float, float], rng: random.Random) -> dict[str, Any]:
    """What the phone says about a capture or record: its time and GPS fix, and its clock offset."""
    return {
        "time": utc_iso(moment),
        "clock_offset_ms": rng.randint(-900, 900),
        "geo": {"lat": spot[0], "lon": spot[1], "accuracy_m": round(rng.uniform(4, 12), 1),
                "fix_time": utc_iso(moment)},
    }  # fmt: skip


class AgencyStory:
    """One agency's staff and five cases, each left at a different point of the procedure."""

    def __init__(self, demo: Demo, cast: AgencyCast) -> None:
        self.demo, self.cast = demo, cast
        self.staff: dict[str, Staff] = {}
        self.rng = random.Random(f"{SEED}:{cast.agency_id}")
        self.spot = (cast.lat, cast.lon)  # where the current case happens

    # -- people -----------------------------------------------------------------------------

    async def hire(self) -> None:
        """Each person through the invitation path (an entry on the agency timeline), then a session."""
        from backend.identity import invites, sessions

        demo = self.demo
        demo.at(-40, 9)
        admin_id: str | None = None
        for person in self.cast.staff:
            demo.later(3)
            demo.ledger.clock = lambda at=demo.moment: at
            made = await invites.create_invite(
                demo.settings, self.cast.agency_id, list(person.roles), name=person.name,
                unit_id=person.unit, created_by=admin_id, ledger=demo.ledger,
                cert_number=person.cert, cert_valid_until="2029-12-31" if person.cert else None,
            )  # fmt: skip
            await invites.use_invite(await invites.open_invite(made["token"]))
            admin_id = admin_id or made["staff_id"]
            token, csrf = await sessions.start_session(
                made["staff_id"], None, demo.settings, "127.0.0.1", "CaseTrail demo"
            )
            client = demo.client()
            client.cookies.set(sessions.SESSION_COOKIE, token)
            client.cookies.set(sessions.CSRF_COOKIE, csrf)
            key = (
                person.roles[0]
                if person.roles[0] != "officer" or "officer" not in self.staff
                else "officer2"
            )
            self.staff[key] = Staff(person, made["staff_id"], client, {"x-csrftoken": csrf})

    async def sign_out_all(self) -> None:
        from backend.identity import sessions

        for member in self.staff.values():
            await sessions.end_all_sessions(member.staff_id)

    # -- steps ------------------------------------------------------------------------------

    def _seed(self) -> int:
        return self.rng.getrandbits(16)

    async def open_case(self, matter: Matter, by: Staff, with_: Staff) -> str:
        lat, lon = self.cast.lat, self.cast.lon
        self.spot = (
            round(lat + self.rng.uniform(-0.02, 0.02), 6),
            round(lon + self.rng.uniform(-0.02, 0.02), 6),
        )
        view = await self.demo.call(
            by.client, "POST", "/api/cases", headers=by.headers,
            json={"client_id": str(self._uuid()), "title": matter.title, "enforcement_kind": "penalty",
                  "procedure": "general", "start_path": "ex_officio",
                  "parties": [matter.party.as_json()], "summary": matter.findings,
                  "officers": [with_.staff_id], "claimed": self._claim(), "device": DEVICE},
        )  # fmt: skip
        case_id = view["case_id"]
        self.demo.cases.setdefault(self.cast.agency_id, []).append((case_id, matter.title))
        self.demo.later(20)
        await self.record(by, case_id, "record.case_opening_approval", {
            "source": "inspection", "reason": matter.findings, "party_summary": matter.party.name,
            "handler_opinion": "建议立案调查。",
        })  # fmt: skip
        return case_id

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _claim(self, minutes_before: int = 2) -> dict[str, Any]:
        return claimed(self.demo.moment - timedelta(minutes=minutes_before), self.spot, self.rng)

    async def record(
        self, by: Staff, case_id: str, kind: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.demo.call(
            by.client, "POST", f"/api/cases/{case_id}/entries", headers=by.headers,
            json={"kind": kind, "client_id": str(self._uuid()), "payload": payload,
                  "claimed": self._claim(), "device": DEVICE},
        )  # fmt: skip

    async def capture(
        self, by: Staff, case_id: str, kind: str, data: bytes, media_type: str, filename: str,
        captured_at: datetime, payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Upload with tus (one creation-with-upload request), then finalise at the demo's moment."""
        from backend.cases.lifecycle import pack_for
        from backend.evidence.ingest import MediaRequest, finalise_media
        from backend.evidence.routes import provide_uploads

        demo = self.demo
        sha = hashlib.sha256(data).hexdigest()
        client_id = str(self._uuid())
        meta = {"sha256": sha, "media_type": media_type, "case_id": case_id,
                "client_id": client_id, "filename": filename, "kind": kind.removeprefix("media.")}  # fmt: skip
        encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
        await demo.call(
            by.client, "POST", "/api/uploads", content=data,
            headers={**by.headers, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                     "Upload-Metadata": encoded, "Content-Type": "application/offset+octet-stream"},
        )  # fmt: skip
        # Finalised as POST /api/cases/{id}/media does, but with the demo's moment as "now":
        # the route would judge a three-week-old capture against today's clock.
        demo.ledger.clock = lambda at=demo.moment: at
        agency = (await pack_for(self.cast.agency_id)).data
        entry = await finalise_media(
            demo.ledger,
            demo.app.state.blobs,
            provide_uploads(demo.app.state, demo.settings),
            case_id=case_id,
            actor=by.staff_id,
            request=MediaRequest(
                client_id=client_id,
                sha256=sha,
                kind=kind,
                media_type=media_type,
                claimed=claimed(captured_at, self.spot, self.rng),
                device=DEVICE,
                payload=payload or {},
            ),  # fmt: skip
            pack=agency,
            now=demo.moment,
        )
        return {"hash": entry.hash, "sha256": sha}

    async def photo(
        self, by: Staff, case_id: str, matter: Matter, step: str, caption: str
    ) -> dict[str, Any]:
        taken = self.demo.moment - timedelta(minutes=self.rng.randint(3, 20))
        scene = media.street_scene(
            self._seed(), matter.party.sign or matter.party.name, matter.plate
        )
        data = media.camera_jpeg(scene, taken, *self.spot)
        return await self.capture(by, case_id, "media.photo", data, "image/jpeg",
                                  f"IMG_{taken.astimezone(CHINA):%Y%m%d_%H%M%S}.jpg", taken,
                                  {"step": step, "caption": caption})  # fmt: skip

    async def signature(
        self, by: Staff, case_id: str, role: str, name: str, step: str
    ) -> dict[str, Any]:
        """A drawn signature (签名) on the phone's pad: the record names its blob."""
        png, strokes = media.handwriting(name, self._seed())
        made = await self.capture(by, case_id, "media.signature", png, "image/png", "signature.png",
                                  self.demo.moment - timedelta(minutes=1),
                                  {"step": step, "signer": {"role": role, "name": name}, "strokes": strokes})  # fmt: skip
        return {"role": role, "name": name, "method": "drawn", "blob": made["sha256"]}

    async def fingerprint(
        self, by: Staff, case_id: str, role: str, name: str, step: str
    ) -> dict[str, Any]:
        png = media.fingerprint(self._seed())
        made = await self.capture(by, case_id, "media.fingerprint", png, "image/png", "fingerprint.png",
                                  self.demo.moment - timedelta(minutes=1),
                                  {"step": step, "signer": {"role": role, "name": name}})  # fmt: skip
        return {"role": role, "name": name, "method": "fingerprint", "blob": made["sha256"]}

    async def signed_by(self, case_id: str, step: str, party: str | None, role: str = "party",
                        fingerprint: bool = False) -> list[dict[str, Any]]:  # fmt: skip
        o1, o2 = self.staff["officer"], self.staff["officer2"]
        out = [await self.signature(o1, case_id, "officer", o1.name, step),
               await self.signature(o1, case_id, "officer", o2.name, step)]  # fmt: skip
        if party:
            out.append(await self.signature(o1, case_id, role, party, step))
            if fingerprint:
                out.append(await self.fingerprint(o1, case_id, role, party, step))
        return out

    async def document(self, by: Staff, case_id: str, kind: str, renders: str) -> dict[str, Any]:
        return await self.demo.call(
            by.client,
            "POST",
            f"/api/cases/{case_id}/documents",
            headers=by.headers,
            json={"client_id": str(self._uuid()), "document_kind": kind, "renders": renders},
        )

    # -- the procedure, step by step --------------------------------------------------------

    async def inspect(self, case_id: str, matter: Matter, day: int, video: bool = True,
                      late_video_day: int | None = None) -> dict[str, Any]:  # fmt: skip
        """On-site inspection by two officers, with photos, a recording and everyone's signature."""
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        started = demo.at(day, 10, self.rng.randint(0, 20))
        step = "record.onsite_inspection"
        shots = [
            await self.photo(o1, case_id, matter, step, caption)
            for caption in ("现场全景", "违法事实细节")
        ]
        demo.later(35)
        scene = media.street_scene(
            self._seed(), matter.party.sign or matter.party.name, matter.plate
        )
        recorded = demo.moment - timedelta(minutes=30)
        if video and late_video_day is None:
            await self.capture(o2, case_id, "media.video", media.video_mp4(scene, recorded), "video/mp4",
                               "VID_inspection.mp4", recorded, {"step": step, "caption": "现场检查全程录像"})  # fmt: skip
        signatures = await self.signed_by(case_id, step, matter.party.name, fingerprint=True)
        record = await self.record(o1, case_id, step, {
            "officers": [o1.officer_line(), o2.officer_line()],
            "started_at": utc_iso(started), "ended_at": utc_iso(demo.moment), "place": matter.place,
            "target": matter.party.name, "findings": matter.findings,
            "present": [matter.party.name], "pages": 1, "signatures": signatures,
        })  # fmt: skip
        del shots
        if late_video_day is not None:
            # The body camera's file reached the server days later: the upload deadline is missed.
            demo.at(late_video_day, 16, 40)
            await self.capture(o2, case_id, "media.video", media.video_mp4(scene, recorded), "video/mp4",
                               "DSJ_20_inspection.mp4", recorded,
                               {"step": step, "for_entry": record["hash"], "caption": "执法记录仪视频（补传）"})  # fmt: skip
        return record

    async def inquire(self, case_id: str, matter: Matter, day: int) -> dict[str, Any]:
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        started = demo.at(day, 14, 30)
        demo.later(25)
        step = "record.inquiry"
        await self.capture(o2, case_id, "media.audio", media.audio_webm(started, self._seed()), "audio/webm",
                           "inquiry.webm", started, {"step": step, "caption": "询问录音"})  # fmt: skip
        return await self.record(o1, case_id, step, {
            "officers": [o1.officer_line(), o2.officer_line()],
            "started_at": utc_iso(started), "ended_at": utc_iso(demo.moment),
            "place": f"{self.agency_name}询问室", "person": matter.party.name,
            "person_role": "party", "rights_told": True,
            "transcript": f"问：{matter.findings}是否属实？\n答：属实，我们会尽快整改。",
            "signatures": await self.signed_by(case_id, step, matter.party.name),
        })  # fmt: skip

    async def rights(
        self, case_id: str, matter: Matter, day: int, document: bool = False
    ) -> dict[str, Any]:
        demo, o1 = self.demo, self.staff["officer"]
        told = demo.at(day, 9, 40)
        step = "record.rights_notice"
        # Some packs want the hearing of the party's statement on tape (陈述申辩环节音像记录).
        await self.capture(o1, case_id, "media.audio", media.audio_webm(told - timedelta(minutes=8), self._seed(), 2),
                           "audio/webm", "rights_notice.webm", told - timedelta(minutes=8), {"step": step, "caption": "告知及陈述申辩录音"})  # fmt: skip
        notice = await self.record(o1, case_id, step, {
            "proposed_decision": matter.outcome, "facts_and_basis": f"{matter.findings}依据{matter.basis}。",
            "rights": ["statement", "defence", "hearing"], "how_told": "in_person", "deadline_days": 3,
            "signatures": [await self.signature(o1, case_id, "party", matter.party.name, step)],
        })  # fmt: skip
        if document:  # rendering a PDF costs a third of a second: one case per agency shows it
            demo.later(5)
            await self.document(o1, case_id, "rights_notice", notice["hash"])
        return notice

    async def decide(
        self, case_id: str, matter: Matter, day: int, letter: bool = True
    ) -> dict[str, Any]:
        """Proposal, the head's approval, the decision and its letter (行政处罚决定书)."""
        demo, o1, approver = self.demo, self.staff["officer"], self.staff["approver"]
        demo.at(day, 10, 0)
        proposal = await self.record(o1, case_id, "record.handler_proposal", {
            "facts": matter.findings, "legal_basis": matter.basis,
            "proposal": matter.outcome + (f"，罚款{matter.fine:.0f}元" if matter.fine else ""),
            "drafter": o1.name,
        })  # fmt: skip
        demo.at(day, 11, 30)
        reviewer = self.staff["legal_reviewer"]
        await self.record(reviewer, case_id, "record.legal_review", {
            "reviewer": reviewer.name, "passed": True,
            "opinion": "事实清楚，证据确凿，适用法律正确，程序合法，处理适当。",
        })  # fmt: skip
        demo.at(day, 15, 20)
        await self.record(approver, case_id, "record.head_approval", {
            "approves": proposal["hash"], "approves_kind": "record.handler_proposal",
            "decision": "approved", "approved": True, "opinion": "同意承办人意见。",
            "head_name": approver.name, "signed_at": utc_iso(demo.moment),
        })  # fmt: skip
        demo.at(day + 1, 9, 30)
        decided = self.demo.today + timedelta(days=day + 1)
        payload: dict[str, Any] = {
            "party": matter.party.name, "facts_and_evidence": matter.findings,
            "legal_basis": matter.basis, "outcome": matter.outcome,
            "remedies": "如不服本决定，可在收到本决定书之日起六十日内申请行政复议，或者六个月内依法提起行政诉讼。",
            "agency_name": self.agency_name, "seal": True, "decided_on": decided.isoformat(),
            "performance_deadline": (decided + timedelta(days=15)).isoformat(),
        }  # fmt: skip
        if matter.fine:
            payload["fine_amount"] = matter.fine
        decision = await self.record(o1, case_id, "record.decision", payload)
        if not letter:
            return decision
        demo.later(10)
        return await self.document(o1, case_id, "decision_letter", decision["hash"])

    @property
    def agency_name(self) -> str:
        from backend.cases.rules import get_pack

        return get_pack(self.cast.agency_id).agency_name

    # -- the five cases ---------------------------------------------------------------------

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
        served = await self.record(o1, case_id, step, {
            "served_entry": letter["hash"], "document_name": "行政处罚决定书",
            "document_number": letter["payload"]["number"], "recipient": matter.party.name,
            "server": f"{o1.name}、{o2.name}", "served_at": utc_iso(demo.moment - timedelta(minutes=5)),
            "place": matter.party.address, "signer": matter.party.name, "signer_relation": "本人",
            "signatures": [await self.signature(o1, case_id, "officer", o1.name, step),
                           await self.signature(o1, case_id, "recipient", matter.party.name, step)],
        })  # fmt: skip
        demo.later(4)
        await self.document(o1, case_id, "service_receipt", served["hash"])
        demo.at(-12, 11, 0)
        await self.record(o1, case_id, "record.performance", {
            "performed": True, "details": "当事人已按决定履行。",
            "paid_amount": matter.fine, "receipt_number": f"NS{self.rng.randint(10**7, 10**8 - 1)}",
            "performed_at": utc_iso(demo.moment - timedelta(hours=2)),
        })  # fmt: skip
        demo.at(-6, 15, 0)
        archivist = self.staff["archivist"]
        await self.record(archivist, case_id, "record.archive", {
            "dossier_number": f"{self.cast.short}档〔{self.demo.today.year}〕{self.rng.randint(10, 99)}号",
            "materials": [{"entry": e["hash"], "title": t} for e, t in (
                (inspection, "现场检查笔录"), (inquiry, "询问笔录"), (notice, "权利告知书"),
                (letter, "行政处罚决定书"), (served, "送达回证"))],
            "av_storage": "音像资料随案电子存档", "archivist": archivist.name, "retention": "长期",
        })  # fmt: skip

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
            o1.client, "POST", f"/api/cases/{case_id}/service/consent", headers=o1.headers,
            json={"kind": "service.consent", "client_id": str(self._uuid()), "device": DEVICE,
                  "claimed": self._claim(), "payload": {
                      "recipient": matter.party.name, "channels": ["link"], "contact": matter.party.phone,
                      "signed_at": utc_iso(demo.moment - timedelta(minutes=2)), "signatures": [consent_sig]}},
        )  # fmt: skip
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
        await self.demo.call(party, "POST", "/api/party/confirm", headers=carried,
                             json={"method": "drawn", "png_base64": base64.b64encode(png).decode(),
                                   "strokes": strokes})  # fmt: skip
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
        record = await self.record(o1, case_id, "record.service_public_notice", {
            "served_entry": decision["hash"], "document_name": "行政处罚决定书",
            "document_number": number, "recipient": matter.party.name,
            "server": o1.name, "other_ways_failed": "直接送达两次未遇，电话无人接听，邮寄送达被退回。",
            "medium": "website", "published_from": published.isoformat(), "period_days": 60,
            "notice_text": f"{matter.party.name}：本机关对你（单位）作出的行政处罚决定书，因无法直接送达，现予公告送达。",
        })  # fmt: skip
        demo.later(40)  # posted on the board and photographed there
        board = media.street_scene(self._seed(), "公告栏 政务公开", "")
        await self.capture(o1, case_id, "media.photo", media.camera_jpeg(board, demo.moment, *self.spot),
                           "image/jpeg", "IMG_notice.jpg", demo.moment,
                           {"step": "record.service_public_notice", "for_entry": record["hash"],
                            "caption": "公告张贴现场"})  # fmt: skip
        demo.later(6)
        notice_doc = await self.document(o1, case_id, "public_notice", record["hash"])
        demo.later(4)
        await self.demo.call(
            o1.client, "POST", f"/api/cases/{case_id}/notices", headers=o1.headers,
            json={"client_id": str(self._uuid()), "purpose": "service",
                  "title": f"关于送达{matter.title.removesuffix('案')}行政处罚决定书的公告",
                  "text": record["payload"]["notice_text"], "document_entry": notice_doc["hash"],
                  "service_record": record["hash"], "start_date": published.isoformat()},
        )  # fmt: skip

    async def late_and_missing(self, matter: Matter) -> None:
        """A proposal written without the rights notice, and a recorder file uploaded days late."""
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        demo.at(-16, 9, 0)
        case_id = await self.open_case(matter, o1, o2)
        await self.inspect(case_id, matter, -15, late_video_day=-2)
        demo.at(-1, 10, 0)
        await self.record(o1, case_id, "record.handler_proposal", {
            "facts": matter.findings, "legal_basis": matter.basis, "proposal": matter.outcome,
            "drafter": o1.name,
        })  # fmt: skip

    async def just_opened(self, matter: Matter) -> None:
        """Opened yesterday on a report; the opening is approved, nothing else yet."""
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        demo.at(-1, 15, 10)
        case_id = await self.open_case(matter, o2, o1)
        demo.later(10)
        await self.photo(o2, case_id, matter, "record.case_opening_approval", "现场初查照片")

    async def invite_newcomers(self) -> None:
        """One-time registration links, one per role, made by the agency's administrator."""
        from backend.identity import invites

        demo = self.demo
        demo.ledger.clock = lambda: datetime.now(UTC)
        admin = self.staff["admin"]
        lines = []
        for role in ROLE_ORDER:
            zh, _ = ROLE_TITLES[role]
            made = await invites.create_invite(
                demo.settings, self.cast.agency_id, [role], name=f"体验账号（{zh}）",
                unit_id="体验", created_by=admin.staff_id, ledger=demo.ledger,
                cert_number=f"体验-{role}" if role != "admin" else None,
                cert_valid_until="2029-12-31" if role != "admin" else None,
            )  # fmt: skip
            lines.append((role, made["link"]))
        demo.links[self.cast.agency_id] = lines


async def _tell(demo: Demo) -> list[str]:
    """The cases made, per agency, with their stage and open problems, for the printed summary."""
    from backend.cases.lifecycle import case_view

    out = []
    for cast in CASTS:
        for case_id, title in demo.cases.get(cast.agency_id, []):
            view = await case_view(demo.ledger, case_id)
            problems = [r for r in view["compliance"] if r["status"] in ("missing", "late")]
            late = sum(r["status"] == "late" for r in problems)
            missing = len(problems) - late
            note = f"（缺{missing}项、逾期{late}项）" if problems else ""
            out.append(f"    {STAGE_TITLES.get(view['stage'], view['stage'])}  {title}{note}")
    return out


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Litestar]:
    from backend.app import create_app

    app = create_app(settings)
    async with app.lifespan():
        yield app


async def fill(settings: Settings) -> Demo:
    """Fill an empty data directory and database with the demo; returns what was made."""
    check_empty(settings)
    for chatty in (
        "httpx",
        "fontTools",
        "exifread",
    ):  # one line per request or glyph table is noise here
        logging.getLogger(chatty).setLevel(logging.WARNING)
    refused: CaseTrailError | None = None
    async with running_app(settings) as app:
        demo = Demo(app, settings, datetime.now(CHINA).date(), random.Random(SEED))
        try:
            await _stories(demo)
        except CaseTrailError as stopped:  # raised outside the lifespan's task group, unwrapped
            refused = stopped
        finally:
            demo.ledger.clock = lambda: datetime.now(UTC)
            await asyncio.gather(*(c.aclose() for c in demo.clients))
    if refused is not None:
        raise refused
    return demo


async def _stories(demo: Demo) -> None:
    from backend.cases.lifecycle import pack_for

    if await demo.ledger.case_ids():
        raise DemoRefused("数据库中已有记录 / the database already holds entries: use a new one")
    for cast in CASTS:
        await pack_for(cast.agency_id)
        story = AgencyStory(demo, cast)
        await story.hire()
        first, second, third, fourth, fifth = cast.matters
        await story.archived(first)
        await story.served_by_link(second)
        await story.served_by_notice(third)
        await story.late_and_missing(fourth)
        await story.just_opened(fifth)
        await story.sign_out_all()
        await story.invite_newcomers()
    demo.ledger.clock = lambda: datetime.now(UTC)
    await demo.ledger.checkpoint()
    demo.summary = await _tell(demo)


def printout(demo: Demo) -> str:
    """What `casetrail demo` prints: where the data is, the cases, and each role's sign-in link."""
    from backend.cases.rules import get_pack

    lines = [
        f"演示数据已写入 / Demo data written to: {demo.settings.data_dir}",
        f"数据库 / Database: {demo.settings.database_url}",
        "",
    ]
    summary = iter(demo.summary)
    for cast in CASTS:
        name = get_pack(cast.agency_id).agency_name
        lines.append(f"【{name}】 {cast.agency_id}")
        lines.append("  案件 / Cases:")
        for _ in demo.cases.get(cast.agency_id, []):
            lines.append(next(summary, ""))
        lines.append(
            "  一次性登录链接（注册通行密钥后即可登录）/ One-time sign-in links (register a passkey):"
        )
        for role, link in demo.links.get(cast.agency_id, []):
            zh, en = ROLE_TITLES[role]
            lines.append(f"    {zh:<6}{en:<16}{link}")
        lines.append("")
    lines += [
        "执法人员只看到自己承办的案件；监督、审批、法制审核、档案和管理员看到本机关全部案件。",
        "Officers see the cases they are on; supervisors, approvers, legal reviewers, archivists",
        "and administrators see all their agency's cases. Links expire in 3 days.",
        "",
        "启动 / Start:  CASETRAIL_DATA_DIR=" + str(demo.settings.data_dir) + " scripts/run",
    ]
    return "\n".join(lines)


def demo_settings(settings: Settings, data_dir: str | None) -> Settings:
    """`--data-dir` overrides $CASETRAIL_DATA_DIR, with the database and blobs inside it by default."""
    if not data_dir:
        return settings
    import os

    env = {**os.environ, "CASETRAIL_DATA_DIR": data_dir}
    return Settings.from_env(env)
