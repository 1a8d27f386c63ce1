"""Retention after the pack's periods, holds that stop disposal, and disposal only with an approver's passkey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.errors import Forbidden
from backend.ledger.entry import Draft
from backend.ledger.timelines import agency_timeline
from backend.ledger.verify import verify_database
from backend.review import retention
from tests.integration.review.casebook import AGENCY, build_case, passkey_payload

LONG_AGO = datetime(2020, 3, 2, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 5, tzinfo=UTC)


async def approver_verifier(signature) -> bool:
    # Stands in for identity's WebAuthn check: only approvers' signatures count here.
    return signature.body.get("actor") == "approver-qian"


async def sign(ledger, batch, actor="approver-qian"):
    return await ledger.append(
        Draft(case_id=agency_timeline(AGENCY), kind="signature.passkey",
              client_id=f"sig-{batch.hash[:8]}-{actor}",
              payload=passkey_payload(batch.hash, "approve_disposal"), actor=actor)
    )  # fmt: skip


async def test_a_case_linked_recording_is_kept_as_long_as_its_dossier(projected, blobs, tmp_path):
    built = await build_case(projected, blobs, tmp_path, at=datetime(2024, 1, 10, tzinfo=UTC))
    kept = {r.sha256: r for r in await retention.agency_retention(projected, AGENCY)}
    video = kept[built.blobs["video0"]]
    assert video.record_class == "evidence_av"
    closed = built.entries["archive"].body["claimed"]["time"][:10]
    assert closed == "2024-01-18"
    # Pingluo keeps dossiers 3 years; evidence AV "same as dossier", from the day the case closed.
    assert video.due_at.date().isoformat() == "2027-01-18"
    assert kept[built.blobs["photo"]].due_at == video.due_at


async def test_disposal_with_approver_signature_leaves_a_verifying_chain_and_held_items_survive(
    projected, blobs, tmp_path
):
    ledger = projected
    plain = await build_case(ledger, blobs, tmp_path, at=LONG_AGO)
    disputed = await build_case(ledger, blobs, tmp_path, at=LONG_AGO, statement=True)
    held = await build_case(ledger, blobs, tmp_path, at=LONG_AGO, title="有人投诉的案件")
    await retention.place_hold(
        ledger, held.case_id, actor="supervisor-sun", client_id="hold-1",
        trigger="supervisor", reason="当事人已申请行政复议",
    )  # fmt: skip

    batch = await retention.propose_disposal(
        ledger, AGENCY, NOW, actor="archivist-zhao", client_id="batch-1", reason="保存期限届满"
    )
    listed = {b["sha256"] for b in batch.payload["blobs"]}
    # Every case has the same photo (same bytes, one blob): the held cases still need it.
    shared_photo = plain.blobs["photo"]
    assert held.blobs["photo"] == shared_photo
    assert listed == {plain.blobs["video0"]}
    assert not listed & set(held.blobs.values())  # supervisor's hold
    assert not listed & set(disputed.blobs.values())  # the party disputed: pack trigger

    await sign(ledger, batch)
    result = await retention.dispose(
        ledger, blobs, AGENCY, batch.hash, NOW, actor="archivist-zhao", verify=approver_verifier
    )

    assert result["disposed"] == [plain.blobs["video0"]]
    assert not await blobs.exists(plain.blobs["video0"])
    for sha in [*held.blobs.values(), *disputed.blobs.values()]:
        assert await blobs.exists(sha)
    tombstone = (await ledger.whole_timeline(plain.case_id))[-1]
    assert tombstone.kind == "retention.disposed"
    assert tombstone.payload["batch"] == batch.hash
    await ledger.checkpoint()
    report = await verify_database(ledger, blobs)
    assert report.ok, [str(p) for p in report.problems]
    case_report = await verify_database(ledger, blobs, case_id=plain.case_id)
    assert case_report.ok, [str(p) for p in case_report.problems]


async def test_disposal_without_an_approver_signature_is_refused(projected, blobs, tmp_path):
    ledger = projected
    plain = await build_case(ledger, blobs, tmp_path, at=LONG_AGO)
    batch = await retention.propose_disposal(
        ledger, AGENCY, NOW, actor="archivist-zhao", client_id="batch-1", reason="保存期限届满"
    )
    with pytest.raises(Forbidden):
        await retention.dispose(
            ledger, blobs, AGENCY, batch.hash, NOW, actor="archivist-zhao",
            verify=approver_verifier,
        )  # fmt: skip
    await sign(ledger, batch, actor="officer-zhang")  # signed, but not by an approver
    with pytest.raises(Forbidden):
        await retention.dispose(
            ledger, blobs, AGENCY, batch.hash, NOW, actor="archivist-zhao",
            verify=approver_verifier,
        )  # fmt: skip
    for sha in plain.blobs.values():
        assert await blobs.exists(sha)
    assert (await ledger.whole_timeline(plain.case_id))[-1].kind == "record.archive"


async def test_a_hold_placed_after_the_batch_still_wins(projected, blobs, tmp_path):
    ledger = projected
    plain = await build_case(ledger, blobs, tmp_path, at=LONG_AGO)
    batch = await retention.propose_disposal(
        ledger, AGENCY, NOW, actor="archivist-zhao", client_id="batch-1", reason="保存期限届满"
    )
    await sign(ledger, batch)
    await retention.place_hold(
        ledger, plain.case_id, actor="supervisor-sun", client_id="late-hold",
        trigger="supervisor", reason="法院调卷",
    )  # fmt: skip
    result = await retention.dispose(
        ledger, blobs, AGENCY, batch.hash, NOW, actor="archivist-zhao", verify=approver_verifier
    )
    assert result["disposed"] == []
    for sha in plain.blobs.values():
        assert await blobs.exists(sha)


async def test_an_open_case_is_never_due(projected, blobs, tmp_path):
    await build_case(projected, blobs, tmp_path, at=LONG_AGO, archived=False)
    assert await retention.due_for_disposal(projected, AGENCY, NOW + timedelta(days=3650)) == []


async def test_a_recording_interrupted_by_obstruction_is_held_by_the_pack_trigger(
    projected, blobs, tmp_path
):
    from backend.review.retention import record_detected_holds

    ledger = projected
    built = await build_case(ledger, blobs, tmp_path, at=LONG_AGO)
    await ledger.append(
        Draft(case_id=built.case_id, kind="av.interrupted", client_id="int-1",
              payload={"session_id": "s1", "at": "2020-03-02T02:00:00Z", "reason": "obstruction",
                       "explanation": "当事人抢夺执法记录仪"}, actor="officer-zhang")
    )  # fmt: skip
    assert await retention.due_for_disposal(ledger, AGENCY, NOW) == []
    placed = await record_detected_holds(ledger, AGENCY)
    assert [(p.case_id, p.payload["trigger"]) for p in placed] == [
        (built.case_id, "obstruction_or_assault")
    ]
    assert await record_detected_holds(ledger, AGENCY) == []  # recorded once
