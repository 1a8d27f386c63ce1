"""Small finished cases written through the real ledger, for review, notify and export tests.

Each entry reaches the server when its device says it happened (the ledger's clock is set for
it): a case built "in 2020" was received in 2020, as retention counts from receipt.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backend.cases.lifecycle import open_case
from backend.ledger.entry import Draft, Entry, utc_iso
from backend.ledger.ledger import Ledger

AGENCY = "pingluo-transport"


def passkey_payload(signs: str, meaning: str) -> dict[str, Any]:
    """The shape of identity's `signature.passkey` (assertion fields are placeholders here)."""
    return {
        "signs": signs,
        "meaning": meaning,
        "credential_id": "Y3JlZC0x",
        "authenticator_data": "YXV0aA",
        "client_data_json": "Y2xpZW50",
        "signature": "c2ln",
    }


def claimed(at: datetime, lat: float = 38.9, lon: float = 106.5) -> dict[str, Any]:
    return {
        "time": utc_iso(at),
        "clock_offset_ms": 1200,
        "geo": {"lat": lat, "lon": lon, "accuracy_m": 8.0, "fix_time": utc_iso(at)},
    }


def png_bytes(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def signatures() -> list[dict[str, Any]]:
    return [
        {"role": "officer", "name": "张执法", "method": "drawn"},
        {"role": "officer", "name": "李执法", "method": "drawn"},
        {"role": "party", "name": "王某", "method": "refused", "refusal_reason": "当事人拒绝签字"},
    ]


@dataclass
class BuiltCase:
    case_id: str
    entries: dict[str, Entry] = field(default_factory=dict)
    blobs: dict[str, str] = field(default_factory=dict)


async def store(blobs: Any, data: bytes, tmp: Path) -> str:
    sha = hashlib.sha256(data).hexdigest()
    if blobs is not None:
        path = tmp / sha
        path.write_bytes(data)
        await blobs.put_file(path, sha)
    return sha


@contextmanager
def received_at(ledger: Ledger, when: datetime) -> Iterator[None]:
    """Appends inside are received by the server at `when`."""
    before = ledger.clock
    ledger.clock = lambda: when
    try:
        yield
    finally:
        ledger.clock = before


async def build_case(
    ledger: Ledger,
    blobs: Any = None,
    tmp: Path | None = None,
    *,
    officer: str = "officer-zhang",
    at: datetime = datetime(2025, 3, 3, 1, 0, tzinfo=UTC),
    title: str = "某运输公司超限运输案",
    archived: bool = True,
    recordings: int = 1,
    start_path: str = "ex_officio",
    late_upload: bool = False,
    statement: bool = False,
    photo: bool = True,
) -> BuiltCase:
    """Open, inspect on video, photograph, serve, (optionally) archive: a small finished case."""
    tag = uuid.uuid4().hex[:8]
    tmp = tmp or Path("/tmp")
    with received_at(ledger, at):
        case_id = await open_case(
            ledger,
            agency_id=AGENCY,
            actor=officer,
            client_id=f"open-{tag}",
            payload={
                "title": title,
                "enforcement_kind": "penalty",
                "procedure": "general",
                "start_path": start_path,
                "parties": [{"name": "宁夏某运输有限公司", "kind": "organisation"}],
                "summary": "车辆超限运输，现场检查并录像。",
            },
            officers=["officer-li"],
            claimed=claimed(at),
        )
    built = BuiltCase(case_id)

    async def add(
        name: str,
        kind: str,
        payload: dict,
        when: datetime,
        blob: str | None = None,
        actor: str = officer,
        received: datetime | None = None,
    ) -> Entry:
        with received_at(ledger, received or when):
            entry = await ledger.append(
                Draft(
                    case_id=case_id,
                    kind=kind,
                    client_id=f"{name}-{tag}",
                    payload=payload,
                    actor=actor,
                    device="phone-01",
                    claimed=claimed(when),
                    blobs=(blob,) if blob else (),
                )
            )
        built.entries[name] = entry
        return entry

    inspection = await add(
        "inspection",
        "record.onsite_inspection",
        {
            "target": "宁A·12345 货车",
            "findings": "车货总重 62 吨，超限 13 吨。",
            "signatures": signatures(),
        },
        at + timedelta(hours=1),
    )
    for n in range(recordings):
        data = f"fake video {tag} {n}".encode()
        sha = await store(blobs, data, tmp)
        built.blobs[f"video{n}"] = sha
        await add(
            f"video{n}",
            "media.video",
            {
                "sha256": sha,
                "media_type": "video/webm",
                "size": len(data),
                "for_entry": inspection.hash,
                "caption": "现场检查全程录像",
                "findings": [{"code": "consistent"}],
            },
            at + timedelta(hours=1, minutes=5 + n),
            sha,
        )
    if photo:
        image = png_bytes()
        sha = await store(blobs, image, tmp)
        built.blobs["photo"] = sha
        await add(
            "photo",
            "media.photo",
            {
                "sha256": sha,
                "media_type": "image/png",
                "size": len(image),
                "step": "record.onsite_inspection",
                "caption": "车辆外观",
                "findings": [{"code": "time_skew", "detail": {"skew_s": 900}}],
            },
            at + timedelta(hours=1, minutes=30),
            sha,
        )
    if late_upload:
        # Captured two days before it reached the server: later than the pack's 24 h.
        data = f"late audio {tag}".encode()
        sha = await store(blobs, data, tmp)
        built.blobs["audio"] = sha
        await add(
            "audio",
            "media.audio",
            {
                "sha256": sha,
                "media_type": "audio/webm",
                "size": len(data),
                "findings": [{"code": "late_upload"}],
            },
            datetime.now(UTC) - timedelta(days=3),
            sha,
            received=datetime.now(UTC),
        )
    if statement:
        await add(
            "statement",
            "record.statement_defence",
            {"statement": "当事人对超限事实有异议，要求复核。"},
            at + timedelta(days=2),
        )
    await add(
        "service",
        "record.service_direct",
        {
            "document_name": "行政处罚决定书",
            "document_number": "平交罚〔2025〕12号",
            "recipient": "王某",
            "served_at": utc_iso(at + timedelta(days=5)),
            "signatures": [
                {"role": "officer", "name": "张执法", "method": "drawn"},
                {"role": "recipient", "name": "王某", "method": "drawn"},
            ],
        },
        at + timedelta(days=5),
    )
    if archived:
        await add(
            "archive",
            "record.archive",
            {"dossier_number": f"平交档〔2025〕{tag}", "archivist": "archivist-zhao"},
            at + timedelta(days=8),
            actor="archivist-zhao",
        )
    return built
