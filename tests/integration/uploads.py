"""How a device sends a capture in tests: tus upload in chunks, then finalise into a media entry."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


async def upload_media(
    client: Any,
    headers: dict[str, str],
    case_id: str,
    data: bytes,
    *,
    claimed: dict[str, Any],
    kind: str = "media.photo",
    media_type: str = "image/jpeg",
    payload: dict[str, Any] | None = None,
    filename: str = "IMG_0001.jpg",
    device: str | None = "BC-001",
) -> dict[str, Any]:
    """tus-upload `data` in two chunks, then finalise; returns the media entry."""
    sha = hashlib.sha256(data).hexdigest()
    client_id = str(uuid.uuid4())
    meta = {"sha256": sha, "media_type": media_type, "case_id": case_id,
            "client_id": client_id, "filename": filename}  # fmt: skip
    tus = {**headers, "Tus-Resumable": "1.0.0"}
    created = await client.post(
        "/api/uploads",
        headers={**tus, "Upload-Length": str(len(data)),
                 "Upload-Metadata": ",".join(f"{k} {b64(v)}" for k, v in meta.items())},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    half = len(data) // 2
    for offset, chunk in ((0, data[:half]), (half, data[half:])):
        sent = await client.patch(
            created.headers["location"],
            content=chunk,
            headers={**tus, "Upload-Offset": str(offset),
                     "Content-Type": "application/offset+octet-stream"},
        )  # fmt: skip
        assert sent.status_code == 204, sent.text
    final = await client.post(
        f"/api/cases/{case_id}/media",
        headers=headers,
        json={
            "client_id": client_id,
            "sha256": sha,
            "kind": kind,
            "media_type": media_type,
            "claimed": claimed,
            "device": device,
            "payload": payload or {},
        },
    )
    assert final.status_code == 201, final.text
    return final.json()
