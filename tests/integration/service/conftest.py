"""A case served through the real app: its ledger, blob store, a consent and a PDF document."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger
from backend.service import links
from backend.service.throttle import THROTTLE

AGENCY = "zhengxiang-hrss"
PARTY = {
    "name": "张三丰",
    "kind": "person",
    "id_number": "430405199001011234",
    "phone": "13812345678",
    "address": "衡阳市蒸湘区红湘路88号",
}


def pdf_bytes(text: str = "decision") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% "
        + text.encode()
        + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


@dataclass
class World:
    ledger: Ledger
    blobs: Any
    case_id: str
    opened: Entry

    async def add(self, kind: str, payload: dict, *, blobs: tuple[str, ...] = (), **kw) -> Entry:
        return await self.ledger.append(
            Draft(
                self.case_id,
                kind,
                f"c-{uuid.uuid4()}",
                payload,
                actor="officer-1",
                blobs=blobs,
                **kw,
            )
        )

    async def put(self, data: bytes) -> str:
        async with self.blobs.writer() as writer:
            await writer.write(data)
        assert writer.sha256 == hashlib.sha256(data).hexdigest()
        return writer.sha256

    async def document(self, title: str = "行政处罚决定书") -> Entry:
        sha = await self.put(pdf_bytes(title + uuid.uuid4().hex))
        return await self.add(
            "document.generated",
            {
                "document_kind": "decision_letter",
                "number": "蒸人社罚〔2026〕1号",
                "renders": self.opened.hash,
                "title": title,
                "media_type": "application/pdf",
            },
            blobs=(sha,),
        )

    async def consent(self, recipient: str = PARTY["name"]) -> Entry:
        return await self.add(
            "service.consent",
            {"recipient": recipient, "channels": ["link"], "contact": PARTY["phone"]},
        )

    async def link(self, **kw) -> links.MadeLink:
        document = kw.pop("document", None) or await self.document()
        return await links.create_link(
            self.ledger,
            self.blobs,
            case_id=self.case_id,
            actor="officer-1",
            client_id=f"link-{uuid.uuid4()}",
            document_entry=document.hash,
            public_url="http://localhost:8000",
            **kw,
        )


@pytest.fixture
async def app_client(settings):
    """The real app in this test's event loop, so the test may use its ledger and pool directly
    (the shared client runs the app in a thread of its own, which PostgreSQL pools refuse)."""
    import asyncio

    from httpx import ASGITransport, AsyncClient

    from backend.app import create_app

    app = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        # The lifespan's task group must be left by the task that entered it.
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve())
    await started.wait()
    async with AsyncClient(
        transport=ASGITransport(app=app), base_url="http://localhost:8000"
    ) as client:
        client.app = app
        yield client
    stop.set()
    await task


@pytest.fixture(autouse=True)
def fresh_throttle():
    THROTTLE.reset()
    yield
    THROTTLE.reset()


@pytest.fixture
async def world(app_client) -> World:
    app = app_client.app
    ledger, blobs = app.state.ledger, app.state.blobs
    case_id = str(uuid.uuid4())
    opened = await ledger.append(
        Draft(
            case_id,
            "case.opened",
            f"open-{case_id}",
            {
                "title": "某公司拖欠工资案",
                "agency_id": AGENCY,
                "enforcement_kind": "penalty",
                "procedure": "general",
                "start_path": "ex_officio",
                "parties": [
                    PARTY,
                    {
                        "name": "衡阳某某建筑有限公司",
                        "kind": "organisation",
                        "address": "衡阳市蒸湘区工业路1号",
                    },
                ],
            },
            actor="officer-1",
        )
    )
    return World(ledger, blobs, case_id, opened)


def now() -> datetime:
    return datetime.now(UTC)


def as_party(token: str) -> dict[str, str]:
    """The headers the party page sends: the token rides in a header, never in the URL."""
    return {links.PARTY_TOKEN_HEADER: token}
