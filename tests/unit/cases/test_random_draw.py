"""The random inspection draw is reproducible from its seed, and the engine catches any draw that is not."""

from __future__ import annotations

import hashlib

import pytest

from backend.cases.compliance import Requirement, evaluate
from backend.cases.random_draw import (
    draw,
    draw_for,
    rank_key,
    reveal_problems,
    seed_commitment,
)
from backend.cases.rules import get_pack
from backend.errors import Invalid
from tests.unit.cases.timelines import Timeline

POOLS = {
    "method": "计算机随机摇号",
    "seed_sha256": seed_commitment("开封前保密的种子"),
    "target_pool": ["甲公司", "乙公司", "丙公司", "丁公司", "戊公司"],
    "inspector_pool": ["E001", "E002", "E003", "E004"],
    "target_count": 2,
    "inspector_count": 2,
}


def test_anyone_can_recompute_the_draw_from_the_published_seed():
    seed = "开封前保密的种子"
    ranked = sorted(
        POOLS["target_pool"],
        key=lambda c: hashlib.sha256(f"{seed}\x1ftargets\x1f{c}".encode()).hexdigest(),
    )
    assert draw(seed, "targets", POOLS["target_pool"], 2) == ranked[:2]
    assert draw_for(POOLS, seed) == draw_for(POOLS, seed)
    assert rank_key(seed, "targets", "甲公司") != rank_key(seed, "inspectors", "甲公司")


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
    seed = "开封前保密的种子"
    good = draw_for(POOLS, seed)
    reveal = {"seed": seed, "targets": good.targets, "inspectors": good.inspectors}
    assert reveal_problems(POOLS, reveal) == []
    assert reveal_problems(POOLS, {**reveal, "seed": "另一个种子"}) == ["seed_mismatch"]
    others = [t for t in POOLS["target_pool"] if t not in good.targets][:2]
    assert reveal_problems(POOLS, {**reveal, "targets": others}) == ["targets_mismatch"]


def _draw_case(reveal_payload: dict | None = None, commit: bool = True, video: bool = True):
    t = Timeline("zhengxiang-hrss", kind="inspection", start_path="random_inspection")
    commit_hash = t.add("record.random_draw_commit", POOLS) if commit else "d" * 64
    drawn = draw_for(POOLS, "开封前保密的种子")
    reveal = t.add(
        "record.random_draw_reveal",
        {
            "commit_entry": commit_hash,
            "seed": "开封前保密的种子",
            "targets": drawn.targets,
            "inspectors": drawn.inspectors,
            **(reveal_payload or {}),
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
    drawn = draw_for(POOLS, "开封前保密的种子").targets
    liked_better = [c for c in POOLS["target_pool"] if c not in drawn][:2]
    t, reveal = _draw_case({"targets": liked_better})
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
