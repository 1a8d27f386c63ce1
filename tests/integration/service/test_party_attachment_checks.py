"""A party's attachments pass the same content checks as an officer's uploads.

Before, the party's browser said what type a file was and the server believed it: an HTML page or
a ZIP hidden behind a photo went into the case file (and from there into dossiers) as a "PDF".
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from PIL import Image

from tests.integration.service.conftest import as_party, now

HTML = b"<!doctype html><script>fetch('/api/me').then(r=>r.text()).then(alert)</script>"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def jpeg_with_zip() -> bytes:
    photo = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 10, 10)).save(photo, "JPEG")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", HTML)
    return photo.getvalue() + archive.getvalue()


async def statements(world) -> list:
    timeline = await world.ledger.whole_timeline(world.case_id)
    return [e for e in timeline if e.kind == "party.statement"]


@pytest.fixture
async def served(app_client, world):
    await world.consent()
    made = await world.link(statement_deadline=now() + timedelta(days=2))
    await app_client.get("/api/party", headers=as_party(made.token))
    return made


async def submit(app_client, token: str, *files: tuple[str, bytes, str]):
    return await app_client.post(
        "/api/party/statements",
        headers=as_party(token),
        data={"type": "defence", "text": "我方已于三月足额支付工资，附银行回单。"},
        files=[("files", f) for f in files],
    )


@pytest.mark.parametrize(
    ("name", "data", "declared", "code"),
    [
        ("回单.txt", HTML, "text/plain", "type_mismatch"),
        ("回单.pdf", HTML, "application/pdf", "type_mismatch"),
        ("回单.jpg", jpeg_with_zip(), "image/jpeg", "type_mismatch"),
        ("回单.png", png()[:-40], "image/png", "unsafe_image"),
        ("回单.pdf", b"", "application/pdf", "type_mismatch"),
    ],
    ids=["html-as-text", "html-as-pdf", "zip-behind-a-photo", "truncated-png", "empty"],
)
async def test_a_bad_attachment_is_refused_and_nothing_of_the_statement_is_kept(
    app_client, world, served, name, data, declared, code
):
    good = png()
    answer = await submit(
        app_client, served.token, ("照片.png", good, "image/png"), (name, data, declared)
    )

    assert answer.status_code in (415, 422), answer.text
    assert answer.json()["code"] == code
    assert "message_zh" in answer.json()["detail"]
    assert await statements(world) == []
    # The good file sent with it was not stored either: checks come before any write.
    assert not await world.blobs.exists(hashlib.sha256(good).hexdigest())


async def test_real_text_photos_and_pdfs_are_taken_with_the_type_their_bytes_show(
    app_client, world, served
):
    text = "2024年3月工资已通过银行转账支付。\n收款人：张三\n".encode()
    answer = await submit(
        app_client,
        served.token,
        ("说明.txt", text, "text/plain; charset=utf-8"),
        ("照片.png", png(), "image/png"),
        ("回单.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    )

    assert answer.status_code == 201, answer.text
    [statement] = await statements(world)
    types = [a["media_type"] for a in statement.payload["attachments"]]
    assert types == ["text/plain", "image/png", "application/pdf"]
    for attachment in statement.payload["attachments"]:
        assert await world.blobs.exists(attachment["sha256"])
