"""The random inspection draw is reproducible from its seed, and the engine catches any draw that is not."""

from __future__ import annotations

import hashlib

import pytest

from backend.cases.compliance import Requirement, evaluate
from backend.cases.random_draw import (
    draw,
    draw_for,
    draw_seed,
    rank_key,
    reveal_problems,
    seed_commitment,
)
from backend.cases.rules import get_pack
from backend.errors import Invalid
from tests.unit.cases.timelines import Timeline

SEED = "开封前保密的种子"
COMMIT_HASH = "e" * 64
POOLS = {
    "method": "计算机随机摇号",
    "seed_sha256": seed_commitment("开封前保密的种子"),
    "target_pool": ["甲公司", "乙公司", "丙公司", "丁公司", "戊公司"],
    "inspector_pool": ["E001", "E002", "E003", "E004"],
    "target_count": 2,
    "inspector_count": 2,
}


def test_anyone_can_recompute_the_draw_from_the_published_seed_and_the_commitment_entry():
    mixed = hashlib.sha256(f"{SEED}\x1f{COMMIT_HASH}".encode()).hexdigest()
    assert draw_seed(SEED, COMMIT_HASH) == mixed
    ranked = sorted(
        POOLS["target_pool"],
        key=lambda c: hashlib.sha256(f"{mixed}\x1ftargets\x1f{c}".encode()).hexdigest(),
    )
    assert draw_for(POOLS, SEED, COMMIT_HASH).targets == ranked[:2]
    assert draw_for(POOLS, SEED, COMMIT_HASH) == draw_for(POOLS, SEED, COMMIT_HASH)
    assert rank_key(SEED, "targets", "甲公司") != rank_key(SEED, "inspectors", "甲公司")


def test_the_officer_cannot_know_the_draw_before_the_commitment_is_on_the_ledger():
    # The same seed under commitments with other hashes (another receiving time) draws differently,
    # so trying seeds offline before committing tells the officer nothing.
    results = {
        tuple(draw_for(POOLS, SEED, hashlib.sha256(str(i).encode()).hexdigest()).targets)
        for i in range(20)
    }
    assert len(results) > 1


def test_the_order_of_the_candidate_list_does_not_change_the_draw():
    shuffled = list(reversed(POOLS["target_pool"])) + ["甲公司"]
    assert draw("s", "targets", shuffled, 3) == draw("s", "targets", POOLS["target_pool"], 3)


def test_another_seed_draws_differently_somewhere():
    results = {tuple(draw(str(i), "targets", POOLS["target_pool"], 2)) for i in range(20)}
    assert len(results) > 1


def test_drawing_more_than_the_pool_holds_is_refused():
    with pytest.raises(Invalid):
        draw("s", "targets", ["甲"], 2)


def test_a_reveal_with_another_seed_or_another_result_does_not_verify():
    good = draw_for(POOLS, SEED, COMMIT_HASH)
    reveal = {"seed": SEED, "targets": good.targets, "inspectors": good.inspectors}
    assert reveal_problems(POOLS, reveal, COMMIT_HASH) == []
    assert reveal_problems(POOLS, {**reveal, "seed": "另一个种子"}, COMMIT_HASH) == [
        "seed_mismatch"
    ]
    others = [t for t in POOLS["target_pool"] if t not in good.targets][:2]
    assert reveal_problems(POOLS, {**reveal, "targets": others}, COMMIT_HASH) == [
        "targets_mismatch"
    ]


def test_a_draw_under_the_old_officer_seed_only_algorithm_never_verifies():
    legacy = {**POOLS, "algorithm": "sha256-rank-v1"}
    drawn = draw_for(legacy, SEED, COMMIT_HASH)
    assert drawn.targets == draw(SEED, "targets", POOLS["target_pool"], 2)
    reveal = {"seed": SEED, "targets": drawn.targets, "inspectors": drawn.inspectors}
    assert reveal_problems(legacy, reveal, COMMIT_HASH) == ["grindable_algorithm"]


def _draw_case(commit: bool = True, video: bool = True, liked_better: bool = False):
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    commit_hash = t.add("record.random_draw_commit", POOLS) if commit else "d" * 64
    drawn = draw_for(POOLS, SEED, commit_hash)
    targets = drawn.targets
    if liked_better:
        targets = [c for c in POOLS["target_pool"] if c not in drawn.targets][:2]
    reveal = t.add(
        "record.random_draw_reveal",
        {
            "commit_entry": commit_hash,
            "seed": SEED,
            "targets": targets,
            "inspectors": drawn.inspectors,
        },
    )
    if video:
        t.video(commit_hash)  # the draw's video filed against the commitment also counts
    return t, reveal


def _draw_reqs(t: Timeline) -> dict[str, Requirement]:
    reqs = evaluate(get_pack("zhengxiang-hrss"), t.entries, t.clock)
    return {":".join(r.id.split(":")[:2]): r for r in reqs if "draw" in r.id}


def test_a_verified_filmed_draw_is_met_under_zhengxiang_article_11():
    t, reveal = _draw_case()
    reqs = _draw_reqs(t)
    assert reqs[f"random_draw:{reveal}"].status == "met"
    assert reqs["av:random_draw_video"].status == "met"
    assert reqs[f"random_draw:{reveal}"].citation["article"] == 11


def test_a_reveal_without_its_commitment_is_flagged():
    t, reveal = _draw_case(commit=False)
    req = _draw_reqs(t)[f"random_draw:{reveal}"]
    assert req.status == "missing"
    assert "承诺" in req.message_zh and "commitment" in req.message_en


def test_a_reveal_whose_result_differs_from_the_seed_is_flagged():
    t, reveal = _draw_case(liked_better=True)
    req = _draw_reqs(t)[f"random_draw:{reveal}"]
    assert req.status == "missing"
    assert "复算" in req.message_zh


def test_a_draw_without_video_is_flagged():
    t, _ = _draw_case(video=False)
    req = _draw_reqs(t)["av:random_draw_video"]
    assert req.status == "missing"
    assert req.citation == {"file": "zhengxiang-hrss-2017.txt", "article": 11}


def test_a_seed_committed_but_never_revealed_is_flagged_once_the_case_moves_on():
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    commit = t.add("record.random_draw_commit", POOLS)
    t.record("record.onsite_inspection")
    reqs = evaluate(get_pack("zhengxiang-hrss"), t.entries, t.clock)
    [req] = [r for r in reqs if r.id == f"random_draw_reveal:{commit}"]
    assert req.status == "missing"


def _commit(t: Timeline) -> str:
    return t.add("record.random_draw_commit", {**POOLS, "algorithm": "sha256-rank-v2"})


def _reveal(t: Timeline, commit_hash: str) -> str:
    drawn = draw_for(POOLS, SEED, commit_hash)
    payload = {"commit_entry": commit_hash, "seed": SEED, **drawn.__dict__}
    return t.add("record.random_draw_reveal", payload)


def test_committing_twice_and_revealing_only_the_second_draw_is_flagged_as_a_re_draw():
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    first = _commit(t)
    second = _commit(t)
    reveal = _reveal(t, second)
    t.video(reveal)
    reqs = _draw_reqs(t)
    assert reqs[f"random_draw:{reveal}"].status == "met"  # the second draw itself recomputes
    req = reqs[f"random_draw_reveal:{first}"]
    assert req.status == "missing"
    assert "重新" in req.message_zh and "re-draw" in req.message_en
    assert req.citation == {"file": "zhengxiang-hrss-2017.txt", "article": 11}
    assert reqs[f"random_draw_reveal:{second}"].status == "met"


def test_drawing_again_after_a_revealed_draw_is_flagged():
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    _reveal(t, _commit(t))
    again = _commit(t)
    _reveal(t, again)
    req = _draw_reqs(t)[f"random_draw_reveal:{again}"]
    assert req.status == "missing" and "re-draw" in req.message_en


def test_an_abandoned_commitment_is_flagged_with_its_reason_until_a_supervisor_waives_it():
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    lost = _commit(t)
    t.add(
        "record.random_draw_abandon", {"commit_entry": lost, "reason": "平板电脑丢失，种子无法找回"}
    )
    _reveal(t, _commit(t))
    req = _draw_reqs(t)[f"random_draw_reveal:{lost}"]
    assert req.status == "missing"
    assert "平板电脑丢失" in req.message_zh and "abandoned" in req.message_en
    t.add(
        "record.waiver",
        {"requirement_id": req.id, "reason": "经核实设备遗失", "approved_by": "法制科科长"},
    )
    assert _draw_reqs(t)[f"random_draw_reveal:{lost}"].status == "waived"


def test_an_open_commitment_is_not_flagged_while_the_draw_is_still_under_way():
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    commit = _commit(t)
    assert f"random_draw_reveal:{commit}" not in _draw_reqs(t)


def test_a_commitment_corrected_after_the_draw_does_not_verify():
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    commit = _commit(t)
    reveal = _reveal(t, commit)
    t.add(
        "record.random_draw_commit", {**POOLS, "target_pool": ["甲公司", "乙公司"]}, corrects=commit
    )
    req = _draw_reqs(t)[f"random_draw:{reveal}"]
    assert req.status == "missing" and "更正" in req.message_zh
