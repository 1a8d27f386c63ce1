"""Each service method proves service only with its own evidence (read through the compliance engine)."""

from __future__ import annotations

from backend.cases.lifecycle import case_view
from tests.integration.service.conftest import PARTY

BASE = {
    "document_name": "行政处罚决定书",
    "recipient": PARTY["name"],
    "server": "李执法",
    "served_at": "2026-03-02T10:00:00+08:00",
    "place": "衡阳市蒸湘区红湘路88号",
}
OFFICERS = [
    {"role": "officer", "name": "李执法", "method": "drawn"},
    {"role": "officer", "name": "王执法", "method": "drawn"},
]


async def requirement(world, rid: str) -> dict:
    view = await case_view(world.ledger, world.case_id)
    found = [r for r in view["compliance"] if r["id"] == rid]
    assert found, [r["id"] for r in view["compliance"]]
    return found[0]


async def test_direct_service_needs_the_recipients_signature(world):
    unsigned = await world.add("record.service_direct", {**BASE, "signatures": OFFICERS[:1]})
    signed = await world.add(
        "record.service_direct",
        {
            **BASE,
            "signatures": [
                *OFFICERS[:1],
                {"role": "recipient", "name": PARTY["name"], "method": "drawn"},
            ],
        },
    )
    assert (await requirement(world, f"signatures:{unsigned.hash}"))["status"] == "missing"
    assert (await requirement(world, f"signatures:{signed.hash}"))["status"] == "met"


async def test_left_at_residence_needs_continuous_video(world):
    record = await world.add(
        "record.service_left_at_residence",
        {
            **BASE,
            "refusal_reason": "当事人拒收",
            "witness": "赵见证",
            "signatures": [*OFFICERS[:1], {"role": "witness", "name": "赵见证", "method": "drawn"}],
        },
    )
    rid = f"av:service_left_video:{record.hash}"
    assert (await requirement(world, rid))["status"] == "missing"
    sha = await world.put(b"\x00\x00\x00\x18ftypmp42 video bytes")
    await world.add(
        "media.video",
        {
            "sha256": sha,
            "media_type": "video/mp4",
            "size": 20,
            "findings": [],
            "for_entry": record.hash,
        },
        blobs=(sha,),
    )
    assert (await requirement(world, rid))["status"] == "met"
    assert (await requirement(world, f"signatures:{record.hash}"))["status"] == "met"


async def test_entrusted_service_needs_the_recipients_signature(world):
    entrusted = {**BASE, "mode": "entrusted", "reason": "当事人在外地，委托其所在单位转交"}
    unsigned = await world.add(
        "record.service_entrusted", {**entrusted, "signatures": OFFICERS[:1]}
    )
    signed = await world.add(
        "record.service_entrusted",
        {
            **entrusted,
            "signatures": [
                *OFFICERS[:1],
                {"role": "recipient", "name": PARTY["name"], "method": "drawn"},
            ],
        },
    )
    assert (await requirement(world, f"signatures:{unsigned.hash}"))["status"] == "missing"
    assert (await requirement(world, f"signatures:{signed.hash}"))["status"] == "met"


async def test_postal_service_needs_the_posting_receipt_and_the_return_card(world):
    postal = {
        **BASE,
        "carrier": "ems",
        "tracking_number": "EM123456789CN",
        "posted_at": "2026-03-01T09:00:00+08:00",
    }
    record = await world.add("record.service_postal", postal)
    req = await requirement(world, f"evidence:postal_receipts:{record.hash}")
    assert req["status"] == "missing"
    assert "return_card_blob" in req["message_en"]
    receipt = await world.put(b"posting receipt photo")
    card = await world.put(b"return card photo")
    corrected = await world.add(
        "record.service_postal",
        {**postal, "posting_receipt_blob": receipt, "return_card_blob": card},
        blobs=(receipt, card),
        corrects={"hash": record.hash, "reason": "回执已返回"},
    )
    req = await requirement(world, f"evidence:postal_receipts:{record.hash}")
    assert req["status"] == "met" and req["entry_hash"] == corrected.hash


async def test_public_notice_service_needs_a_photo_of_the_posted_notice(world):
    record = await world.add(
        "record.service_public_notice",
        {
            **BASE,
            "other_ways_failed": "下落不明",
            "medium": "posted",
            "published_from": "2026-03-01",
        },
    )
    assert (await requirement(world, f"av:public_notice_photo:{record.hash}"))[
        "status"
    ] == "missing"
    sha = await world.put(b"posted notice photo")
    await world.add(
        "media.photo",
        {
            "sha256": sha,
            "media_type": "image/jpeg",
            "size": 19,
            "findings": [],
            "for_entry": record.hash,
        },
        blobs=(sha,),
    )
    assert (await requirement(world, f"av:public_notice_photo:{record.hash}"))["status"] == "met"
