"""The hashes a record's payload names in its photo fields, found from the kind's own schema."""

from __future__ import annotations

from backend.ledger.kinds import default_registry, payload_blobs

A, B, C = "a" * 64, "b" * 64, "c" * 64


def latest(kind: str) -> int:
    return default_registry().latest(kind)


def test_signature_images_inside_the_signature_list_are_named():
    payload = {
        "target": "某公司",
        "findings": A,  # a hash-looking text in a text field is only text
        "signatures": [
            {"role": "officer", "name": "张", "method": "drawn", "blob": B},
            {"role": "party", "name": "王", "method": "refused", "refusal_reason": "拒签"},
        ],
    }
    kind = "record.onsite_inspection"
    assert payload_blobs(kind, latest(kind), payload) == [B]


def test_postal_receipts_are_named_and_a_note_names_nothing():
    kind = "record.service_postal"
    payload = {"posting_receipt_blob": A, "return_card_blob": C}
    assert sorted(payload_blobs(kind, latest(kind), payload)) == [A, C]
    assert payload_blobs("note", latest("note"), {"text": A}) == []
