"""The demo's building blocks: its clock, its signed-in staff, and each step of a procedure.

Each step is what an officer's phone sends for it, over the app's own HTTP routes: a record as
the outbox sends it, a capture as a tus upload, a document as the 文书 button asks for it.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from litestar import Litestar

from backend import demo_media as media
from backend.demo_cast import STAFF_KEYS, AgencyCast, Matter, Person
from backend.errors import Invalid
from backend.ledger.entry import utc_iso
from backend.ledger.ledger import Ledger
from backend.settings import Settings

SEED = 18
CHINA = media.CHINA
DEVICE = "demo-phone"


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
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    moment: datetime = field(default_factory=lambda: datetime.now(UTC))
    cases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Per agency: (role, person's name, staff id, one-time sign-in link).
    links: dict[str, list[tuple[str, str, str, str]]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    @property
    def ledger(self) -> Ledger:
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
        "geo": {
            "lat": spot[0],
            "lon": spot[1],
            "accuracy_m": round(rng.uniform(4, 12), 1),
            "fix_time": utc_iso(moment),
        },
    }


class AgencySteps:
    """One agency's staff, signed in, and the steps of a procedure they take on its cases."""

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
        for key, person in zip(STAFF_KEYS, self.cast.staff, strict=True):
            demo.later(3)
            demo.ledger.clock = lambda at=demo.moment: at
            made = await invites.create_invite(
                demo.settings,
                self.cast.agency_id,
                list(person.roles),
                name=person.name,
                unit_id=person.unit,
                created_by=admin_id,
                ledger=demo.ledger,
                cert_number=person.cert,
                cert_valid_until="2029-12-31" if person.cert else None,
            )
            await invites.use_invite(await invites.open_invite(made["token"]))
            admin_id = admin_id or made["staff_id"]
            token, csrf = await sessions.start_session(
                made["staff_id"], None, demo.settings, "127.0.0.1", "CaseTrail demo"
            )
            client = demo.client()
            client.cookies.set(sessions.SESSION_COOKIE, token)
            client.cookies.set(sessions.CSRF_COOKIE, csrf)
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
            by.client,
            "POST",
            "/api/cases",
            headers=by.headers,
            json={
                "client_id": str(self._uuid()),
                "title": matter.title,
                "enforcement_kind": "penalty",
                "procedure": "general",
                "start_path": "ex_officio",
                "parties": [matter.party.as_json()],
                "summary": matter.findings,
                "officers": [with_.staff_id],
                "claimed": self._claim(),
                "device": DEVICE,
            },
        )
        case_id = view["case_id"]
        self.demo.cases.setdefault(self.cast.agency_id, []).append((case_id, matter.title))
        self.demo.later(20)
        await self.record(
            by,
            case_id,
            "record.case_opening_approval",
            {
                "source": "inspection",
                "reason": matter.findings,
                "party_summary": matter.party.name,
                "handler_opinion": "建议立案调查。",
            },
        )
        return case_id

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _claim(self, minutes_before: int = 2) -> dict[str, Any]:
        return claimed(self.demo.moment - timedelta(minutes=minutes_before), self.spot, self.rng)

    async def record(
        self, by: Staff, case_id: str, kind: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return await self.demo.call(
            by.client,
            "POST",
            f"/api/cases/{case_id}/entries",
            headers=by.headers,
            json={
                "kind": kind,
                "client_id": str(self._uuid()),
                "payload": payload,
                "claimed": self._claim(),
                "device": DEVICE,
            },
        )

    async def capture(
        self,
        by: Staff,
        case_id: str,
        kind: str,
        data: bytes,
        media_type: str,
        filename: str,
        captured_at: datetime,
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Upload with tus (one creation-with-upload request), then finalise at the demo's moment."""
        from backend.evidence.finalise import finalise_media
        from backend.evidence.schemas import MediaIn

        demo = self.demo
        sha = hashlib.sha256(data).hexdigest()
        client_id = str(self._uuid())
        meta = {
            "sha256": sha,
            "media_type": media_type,
            "case_id": case_id,
            "client_id": client_id,
            "filename": filename,
            "kind": kind.removeprefix("media."),
        }
        encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
        await demo.call(
            by.client,
            "POST",
            "/api/uploads",
            content=data,
            headers={
                **by.headers,
                "Tus-Resumable": "1.0.0",
                "Upload-Length": str(len(data)),
                "Upload-Metadata": encoded,
                "Content-Type": "application/offset+octet-stream",
            },
        )
        # Finalised as POST /api/cases/{id}/media does (the upload above passed its access rule),
        # but with the demo's moment as "now": the route would judge a three-week-old capture
        # against today's clock and find every recording late.
        demo.ledger.clock = lambda at=demo.moment: at
        entry = await finalise_media(
            demo.ledger,
            demo.app.state.blobs,
            demo.app.state.evidence_uploads,
            case_id=case_id,
            actor=by.staff_id,
            request=MediaIn(
                client_id=client_id,
                sha256=sha,
                kind=kind,
                media_type=media_type,
                claimed=claimed(captured_at, self.spot, self.rng),
                device=DEVICE,
                payload=payload or {},
            ),
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
        return await self.capture(
            by,
            case_id,
            "media.photo",
            data,
            "image/jpeg",
            f"IMG_{taken.astimezone(CHINA):%Y%m%d_%H%M%S}.jpg",
            taken,
            {"step": step, "caption": caption},
        )

    async def signature(
        self, by: Staff, case_id: str, role: str, name: str, step: str
    ) -> dict[str, Any]:
        """A drawn signature (签名) on the phone's pad: the record names its blob."""
        png, strokes = media.handwriting(name, self._seed())
        made = await self.capture(
            by,
            case_id,
            "media.signature",
            png,
            "image/png",
            "signature.png",
            self.demo.moment - timedelta(minutes=1),
            {"step": step, "signer": {"role": role, "name": name}, "strokes": strokes},
        )
        return {"role": role, "name": name, "method": "drawn", "blob": made["sha256"]}

    async def fingerprint(
        self, by: Staff, case_id: str, role: str, name: str, step: str
    ) -> dict[str, Any]:
        png = media.fingerprint(self._seed())
        made = await self.capture(
            by,
            case_id,
            "media.fingerprint",
            png,
            "image/png",
            "fingerprint.png",
            self.demo.moment - timedelta(minutes=1),
            {"step": step, "signer": {"role": role, "name": name}},
        )
        return {"role": role, "name": name, "method": "fingerprint", "blob": made["sha256"]}

    async def signed_by(
        self,
        case_id: str,
        step: str,
        party: str | None,
        role: str = "party",
        fingerprint: bool = False,
    ) -> list[dict[str, Any]]:
        o1, o2 = self.staff["officer"], self.staff["officer2"]
        out = [
            await self.signature(o1, case_id, "officer", o1.name, step),
            await self.signature(o1, case_id, "officer", o2.name, step),
        ]
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

    async def inspect(
        self,
        case_id: str,
        matter: Matter,
        day: int,
        video: bool = True,
        late_video_day: int | None = None,
    ) -> dict[str, Any]:
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
            await self.capture(
                o2,
                case_id,
                "media.video",
                media.video_mp4(scene, recorded),
                "video/mp4",
                "VID_inspection.mp4",
                recorded,
                {"step": step, "caption": "现场检查全程录像"},
            )
        signatures = await self.signed_by(case_id, step, matter.party.name, fingerprint=True)
        record = await self.record(
            o1,
            case_id,
            step,
            {
                "officers": [o1.officer_line(), o2.officer_line()],
                "started_at": utc_iso(started),
                "ended_at": utc_iso(demo.moment),
                "place": matter.place,
                "target": matter.party.name,
                "findings": matter.findings,
                "present": [matter.party.name],
                "pages": 1,
                "signatures": signatures,
            },
        )
        del shots
        if late_video_day is not None:
            # The body camera's file reached the server days later: the upload deadline is missed.
            demo.at(late_video_day, 16, 40)
            await self.capture(
                o2,
                case_id,
                "media.video",
                media.video_mp4(scene, recorded),
                "video/mp4",
                "DSJ_20_inspection.mp4",
                recorded,
                {"step": step, "for_entry": record["hash"], "caption": "执法记录仪视频（补传）"},
            )
        return record

    async def inquire(self, case_id: str, matter: Matter, day: int) -> dict[str, Any]:
        demo, o1, o2 = self.demo, self.staff["officer"], self.staff["officer2"]
        started = demo.at(day, 14, 30)
        demo.later(25)
        step = "record.inquiry"
        await self.capture(
            o2,
            case_id,
            "media.audio",
            media.audio_webm(started, self._seed()),
            "audio/webm",
            "inquiry.webm",
            started,
            {"step": step, "caption": "询问录音"},
        )
        return await self.record(
            o1,
            case_id,
            step,
            {
                "officers": [o1.officer_line(), o2.officer_line()],
                "started_at": utc_iso(started),
                "ended_at": utc_iso(demo.moment),
                "place": f"{self.agency_name}询问室",
                "person": matter.party.name,
                "person_role": "party",
                "rights_told": True,
                "transcript": f"问：{matter.findings}是否属实？\n答：属实，我们会尽快整改。",
                "signatures": await self.signed_by(case_id, step, matter.party.name),
            },
        )

    async def rights(
        self, case_id: str, matter: Matter, day: int, document: bool = False
    ) -> dict[str, Any]:
        demo, o1 = self.demo, self.staff["officer"]
        told = demo.at(day, 9, 40)
        step = "record.rights_notice"
        # Some packs want the hearing of the party's statement on tape (陈述申辩环节音像记录).
        await self.capture(
            o1,
            case_id,
            "media.audio",
            media.audio_webm(told - timedelta(minutes=8), self._seed(), 2),
            "audio/webm",
            "rights_notice.webm",
            told - timedelta(minutes=8),
            {"step": step, "caption": "告知及陈述申辩录音"},
        )
        notice = await self.record(
            o1,
            case_id,
            step,
            {
                "proposed_decision": matter.outcome,
                "facts_and_basis": f"{matter.findings}依据{matter.basis}。",
                "rights": ["statement", "defence", "hearing"],
                "how_told": "in_person",
                "deadline_days": 3,
                "signatures": [await self.signature(o1, case_id, "party", matter.party.name, step)],
            },
        )
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
        proposal = await self.record(
            o1,
            case_id,
            "record.handler_proposal",
            {
                "facts": matter.findings,
                "legal_basis": matter.basis,
                "proposal": matter.outcome + (f"，罚款{matter.fine:.0f}元" if matter.fine else ""),
                "drafter": o1.name,
            },
        )
        demo.at(day, 11, 30)
        reviewer = self.staff["legal_reviewer"]
        await self.record(
            reviewer,
            case_id,
            "record.legal_review",
            {
                "reviewer": reviewer.name,
                "passed": True,
                "opinion": "事实清楚，证据确凿，适用法律正确，程序合法，处理适当。",
            },
        )
        demo.at(day, 15, 20)
        await self.record(
            approver,
            case_id,
            "record.head_approval",
            {
                "approves": proposal["hash"],
                "approves_kind": "record.handler_proposal",
                "decision": "approved",
                "approved": True,
                "opinion": "同意承办人意见。",
                "head_name": approver.name,
                "signed_at": utc_iso(demo.moment),
            },
        )
        demo.at(day + 1, 9, 30)
        decided = self.demo.today + timedelta(days=day + 1)
        payload: dict[str, Any] = {
            "party": matter.party.name,
            "facts_and_evidence": matter.findings,
            "legal_basis": matter.basis,
            "outcome": matter.outcome,
            "remedies": "如不服本决定，可在收到本决定书之日起六十日内申请行政复议，或者六个月内依法提起行政诉讼。",
            "agency_name": self.agency_name,
            "seal": True,
            "decided_on": decided.isoformat(),
            "performance_deadline": (decided + timedelta(days=15)).isoformat(),
        }
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
