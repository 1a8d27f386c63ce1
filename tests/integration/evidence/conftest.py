"""An officer talking to the real app over tus: create, patch, resume, finalise.

Sign-in: until identity's `signed_in(client, role, agency_id)` lands, the caller's Principal is
put into the ASGI scope (the only thing the access guard reads), as the cases tests do.
"""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from backend.app import create_app
from backend.identity.access import Principal
from tests.s3_server import s3_server  # noqa: F401  (the fixture, for the S3 blob store tests)

AGENCY = "hebei-hrss"


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def jpeg(size: tuple[int, int] = (64, 48), exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(
        out, "JPEG", exif=exif if exif is not None else Image.Exif()
    )
    return out.getvalue()


class Officer:
    def __init__(self, client: AsyncTestClient, app: Any) -> None:
        self.client, self.app = client, app

    async def open_case(self) -> str:
        """Captures go to the agency timeline (patrol recordings), so these stories need no case."""
        return f"agency:{AGENCY}"

    async def create(self, case_id: str, data: bytes, *, length: int | None = None,
                     media_type: str = "image/jpeg", client_id: str | None = None,
                     sha256: str | None = None, filename: str = "IMG_0001.jpg",
                     kind: str | None = None, first: bytes | None = None):  # fmt: skip
        """POST /api/uploads; `first` sends those bytes with it (creation-with-upload)."""
        meta = {
            "sha256": sha256 or hashlib.sha256(data).hexdigest(),
            "media_type": media_type,
            "case_id": case_id,
            "client_id": client_id or str(uuid.uuid4()),
            "filename": filename,
        }
        if kind:
            meta["kind"] = kind
        headers = {
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data) if length is None else length),
            "Upload-Metadata": ",".join(f"{k} {b64(v)}" for k, v in meta.items()),
        }
        if first is not None:
            headers["Content-Type"] = "application/offset+octet-stream"
        return await self.client.post("/api/uploads", headers=headers, content=first), meta

    async def patch(self, location: str, offset: int, chunk: bytes):
        return await self.client.patch(
            location,
            content=chunk,
            headers={
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )

    async def upload(self, case_id: str, data: bytes, **kw: Any) -> tuple[Any, dict]:
        """Create and send in one PATCH; returns (last response, metadata)."""
        created, meta = await self.create(case_id, data, **kw)
        if created.status_code != 201:
            return created, meta
        return await self.patch(created.headers["location"], 0, data), meta

    async def finalise(self, case_id: str, meta: dict, *, kind: str = "media.photo",
                       claimed: dict | None = None, payload: dict | None = None):  # fmt: skip
        return await self.client.post(
            f"/api/cases/{case_id}/media",
            json={
                "client_id": meta["client_id"],
                "sha256": meta["sha256"],
                "kind": kind,
                "media_type": meta["media_type"],
                "claimed": claimed if claimed is not None else {"time": iso(datetime.now(UTC))},
                "device": "BC-001",
                "payload": payload or {},
            },
        )

    async def timeline(self, case_id: str) -> list[dict]:
        response = await self.client.get(f"/api/cases/{case_id}/timeline")
        if response.status_code == 404 and response.json()["code"] == "case_not_found":
            return []  # an agency timeline with nothing on it yet
        assert response.status_code == 200, response.text
        return response.json()["entries"]

    def blob_files(self) -> list[Path]:
        root = self.app.state.blobs.root
        return [p for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp"]


def make_officer_client(
    settings: Any, agency: str = AGENCY, roles=frozenset({"officer", "supervisor"})
):
    app = create_app(settings)
    principal = Principal(staff_id="E001", agency_id=agency, name="张执法", roles=roles)

    async def with_user(scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope["user"] = principal
        await app(scope, receive, send)

    with_user.debug = app.debug  # type: ignore[attr-defined]
    return app, with_user


@pytest.fixture
async def officer(settings):
    app, with_user = make_officer_client(settings)
    async with AsyncTestClient(app=app, base_url="http://localhost:8000") as client:
        client.app = with_user  # type: ignore[assignment]
        client._transport.app = with_user  # type: ignore[attr-defined]
        yield Officer(client, app)
