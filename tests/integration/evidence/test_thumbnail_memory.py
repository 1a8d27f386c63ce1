"""Stories for thumbnails of images that are small on disk and huge in memory.

A PNG of one colour compresses a 7700×7700 picture into a few hundred kilobytes; decoded it is a
quarter of a gigabyte. First thumbnails asked for together must queue for one decode at a time,
and an image whose decode would take more memory than the cap is refused before it is decoded.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
import time
import uuid
from datetime import UTC, datetime

from PIL import Image

import backend.evidence.image_safety as image_safety
from backend.evidence.tables import EvidenceDerivative
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, OTHER, open_case
from tests.integration.uploads import b64, upload_media


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def one_colour_png(side: int, colour: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(out, "PNG", optimize=True)
    return out.getvalue()


async def uploaded(client, headers, case_id: str, data: bytes) -> str:
    entry = await upload_media(
        client, headers, case_id, data, claimed={"time": iso(datetime.now(UTC))},
        media_type="image/png", filename="IMG_0001.png",
    )  # fmt: skip
    return entry["payload"]["sha256"]


class ConcurrencyRecorder:
    """A decoder that takes its time and remembers how many decodes ran at once."""

    def __init__(self, real, seconds: float) -> None:
        self.real, self.seconds = real, seconds
        self.running = self.most = self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, im: Image.Image) -> None:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.seconds)
            self.real(im)
        finally:
            with self.lock:
                self.running -= 1


async def test_a_7700_pixel_one_colour_png_gets_a_small_thumbnail(app_client):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    data = one_colour_png(7700)
    assert len(data) < 1_000_000  # small on disk; 237 MB once decoded
    sha = await uploaded(app_client, officer, case_id, data)

    thumb = await app_client.get(f"/api/blobs/{sha}?variant=thumbnail")

    assert thumb.status_code == 200, thumb.text
    with Image.open(io.BytesIO(thumb.content)) as im:
        assert im.size == (480, 480)
        centre = im.convert("RGB").getpixel((240, 240))
    assert all(abs(a - b) <= 2 for a, b in zip(centre, (40, 90, 160), strict=True))  # JPEG


async def test_first_thumbnails_asked_for_together_are_decoded_one_at_a_time(
    app_client, monkeypatch
):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    pictures = [one_colour_png(1200, (10 * i, 80, 120)) for i in range(3)]
    shas = [await uploaded(app_client, officer, case_id, data) for data in pictures]
    recorder = ConcurrencyRecorder(image_safety._decode, seconds=0.3)
    monkeypatch.setattr(image_safety, "_decode", recorder)

    answers = await asyncio.gather(
        *(app_client.get(f"/api/blobs/{sha}?variant=thumbnail") for sha in shas)
    )

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert recorder.calls == 3
    assert recorder.most == 1


async def test_an_image_whose_decode_would_pass_the_memory_cap_is_refused_undecoded(
    app_client, monkeypatch
):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    # Stored under an older, larger cap: 1200×1200 RGB decodes to 5.5 MB.
    sha = await uploaded(app_client, officer, case_id, one_colour_png(1200))
    monkeypatch.setattr(image_safety, "MAX_DECODE_BYTES", 4 * 1024 * 1024)
    recorder = ConcurrencyRecorder(image_safety._decode, seconds=0)
    monkeypatch.setattr(image_safety, "_decode", recorder)

    refused = await app_client.get(f"/api/blobs/{sha}?variant=thumbnail")

    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "unsafe_image"
    assert "像素过多" in refused.json()["message"]
    assert recorder.calls == 0  # refused from the header, before any pixel was decoded
    assert await EvidenceDerivative.count().where(EvidenceDerivative.original == sha) == 0

    monkeypatch.setattr(image_safety, "MAX_DECODE_BYTES", 256 * 1024 * 1024)
    served = await app_client.get(f"/api/blobs/{sha}?variant=thumbnail")
    assert served.status_code == 200, served.text


async def test_an_upload_whose_decode_would_pass_the_memory_cap_is_refused_and_stores_nothing(
    app_client, monkeypatch
):
    officer = await signed_in(app_client, "officer", AGENCY)
    case_id = await open_case(app_client, officer)
    monkeypatch.setattr(image_safety, "MAX_DECODE_BYTES", 4 * 1024 * 1024)
    data = one_colour_png(1200)
    meta = {"sha256": hashlib.sha256(data).hexdigest(), "media_type": "image/png",
            "case_id": case_id, "client_id": str(uuid.uuid4()), "filename": "IMG_0002.png"}  # fmt: skip
    created = await app_client.post(
        "/api/uploads",
        content=data,
        headers={**officer, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
                 "Content-Type": "application/offset+octet-stream",
                 "Upload-Metadata": ",".join(f"{k} {b64(v)}" for k, v in meta.items())},
    )  # fmt: skip

    assert created.status_code == 422, created.text
    assert created.json()["code"] == "unsafe_image"
    assert (await app_client.get(f"/api/blobs/{meta['sha256']}")).status_code == 404


async def test_another_agency_cannot_make_the_server_decode_a_foreign_image(
    app_client, another_client, monkeypatch
):
    officer = await signed_in(app_client, "officer", AGENCY)
    stranger = await signed_in(another_client, "officer", OTHER)
    case_id = await open_case(app_client, officer)
    sha = await uploaded(app_client, officer, case_id, one_colour_png(1200))
    recorder = ConcurrencyRecorder(image_safety._decode, seconds=0)
    monkeypatch.setattr(image_safety, "_decode", recorder)

    answer = await another_client.get(f"/api/blobs/{sha}?variant=thumbnail", headers=dict(stranger))

    assert answer.status_code == 404
    assert recorder.calls == 0
