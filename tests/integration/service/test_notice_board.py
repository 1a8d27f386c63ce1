"""The public-notice board: masked notices with their period, posting photos without EXIF, take-down."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from PIL import Image

from backend.service import notices
from tests.integration.service.conftest import PARTY


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "orange")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (26.0, 53.0, 48.0), 3: "E", 4: (112.0, 34.0, 19.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def service_by_notice(world, start: date):
    record = await world.add(
        "record.service_public_notice",
        {
            "document_name": "行政处罚决定书",
            "recipient": PARTY["name"],
            "other_ways_failed": "直接送达、邮寄送达均无法送达，当事人下落不明",
            "medium": "board",
            "published_from": start.isoformat(),
        },
    )
    document = await world.document("公告")
    entry = await notices.publish_notice(
        world.ledger,
        world.blobs,
        case_id=world.case_id,
        actor="officer-1",
        client_id=f"notice-{record.hash[:8]}",
        purpose="service",
        title=f"关于向{PARTY['name']}公告送达行政处罚决定书的公告",
        text=f"{PARTY['name']}（身份证号{PARTY['id_number']}，住{PARTY['address']}，电话{PARTY['phone']}）：本局依法作出处罚决定。",
        document_entry=document.hash,
        service_record=record.hash,
    )
    return record, entry


async def test_the_board_shows_masked_notices_with_the_packs_period(app_client, world):
    start = datetime.now(UTC).date()
    _, entry = await service_by_notice(world, start)
    assert entry.payload["period_days"] == 60
    assert entry.payload["deemed_served_on"] == (start + timedelta(days=60)).isoformat()
    response = await app_client.get("/api/notices")
    assert response.status_code == 200
    [agency] = response.json()
    assert agency["name_zh"] == "衡阳市蒸湘区人力资源和社会保障局"
    [notice] = agency["notices"]
    assert notice["recipient"] == "张*丰"
    text = response.text
    for secret in (PARTY["name"], PARTY["id_number"], PARTY["phone"], PARTY["address"]):
        assert secret not in text
    assert "430405********1234" in notice["text"] and "138****5678" in notice["text"]
    pdf = await app_client.get(notice["document_url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


async def test_posting_photos_are_shown_only_as_exif_free_copies(app_client, world):
    record, entry = await service_by_notice(world, datetime.now(UTC).date())
    raw = photo_with_gps()
    sha = await world.put(raw)
    await world.add(
        "media.photo",
        {
            "sha256": sha,
            "media_type": "image/jpeg",
            "size": len(raw),
            "findings": [],
            "for_entry": record.hash,
        },
        blobs=(sha,),
    )
    board = await app_client.get("/api/notices")
    [notice] = board.json()[0]["notices"]
    [url] = notice["photo_urls"]
    shown = await app_client.get(url)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.content != raw
    assert not Image.open(io.BytesIO(shown.content)).getexif()
    # The original's hash is nowhere public: not on the board, not in a URL, not in a header.
    page = await app_client.get("/notices/")
    assert page.status_code == 200
    for text in (board.text, page.text, url, str(shown.headers)):
        assert sha not in text
    assert (await app_client.get(f"/api/notices/{entry.hash}/photos/1")).status_code == 404
    assert (await app_client.get(f"/api/notices/{entry.hash}/photos/{sha}")).status_code in (
        400,
        404,
    )


async def test_the_posting_photo_meets_the_compliance_rule_for_public_notice(world):
    from backend.cases.lifecycle import case_view

    record, _ = await service_by_notice(world, datetime.now(UTC).date())
    view = await case_view(world.ledger, world.case_id)
    [req] = [r for r in view["compliance"] if r["id"] == f"av:public_notice_photo:{record.hash}"]
    assert req["status"] == "missing"
    raw = photo_with_gps()
    sha = await world.put(raw)
    await world.add(
        "media.photo",
        {
            "sha256": sha,
            "media_type": "image/jpeg",
            "size": len(raw),
            "findings": [],
            "for_entry": record.hash,
        },
        blobs=(sha,),
    )
    view = await case_view(world.ledger, world.case_id)
    [req] = [r for r in view["compliance"] if r["id"] == f"av:public_notice_photo:{record.hash}"]
    assert req["status"] == "met"


async def test_a_notice_comes_down_when_its_period_ends_and_that_is_an_entry(app_client, world):
    start = datetime.now(UTC).date() - timedelta(days=61)
    _, entry = await service_by_notice(world, start)
    assert (
        await notices.take_down_expired(world.ledger, datetime.now(UTC) - timedelta(days=5)) == []
    )
    assert (await app_client.get("/api/notices")).json() == []  # the board takes it down lazily
    downs = [
        e for e in await world.ledger.whole_timeline(world.case_id) if e.kind == "notice.taken_down"
    ]
    assert [d.payload for d in downs] == [{"notice_entry": entry.hash, "reason": "period_ended"}]
    assert downs[0].body["actor"] == "system"
    assert await notices.take_down_expired(world.ledger) == []  # once only
    gone = await app_client.get(f"/api/notices/{entry.hash}/document")
    assert gone.status_code == 404
