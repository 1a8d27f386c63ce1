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
    chunk_size: int | None = None,
    then: Any = None,
) -> dict[str, Any]:
    """tus-upload `data` (in two halves, or in pieces of `chunk_size`), then finalise; returns the
    media entry. With `then`, a second server's client, every piece after the first and the
    finalising go there: the upload moves between servers behind one balancer."""
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
    if chunk_size:
        pieces = [(at, data[at : at + chunk_size]) for at in range(0, len(data), chunk_size)]
    else:
        half = len(data) // 2
        pieces = [(0, data[:half]), (half, data[half:])]
    for n, (offset, chunk) in enumerate(pieces):
        sender = client if n == 0 or then is None else then
        sent = await sender.patch(
            created.headers["location"],
            content=chunk,
            headers={**tus, "Upload-Offset": str(offset),
                     "Content-Type": "application/offset+octet-stream"},
        )  # fmt: skip
        assert sent.status_code == 204, sent.text
    final = await (then or client).post(
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
