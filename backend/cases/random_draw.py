"""The random inspection draw (双随机一公开): seed commitment, deterministic draw, and its verification.

Why commit-then-reveal: the officer commits SHA-256(seed) and the candidate lists to the ledger
*before* the draw, so the result cannot be re-drawn until someone likes it; the reveal then
publishes the seed, and anyone can recompute the draw from the two entries.

Draw algorithm `sha256-rank-v1` (stable; a new algorithm gets a new name):
  1. drop duplicate candidate ids and sort the rest (so the order of the list does not matter);
  2. rank each candidate by the hex SHA-256 of UTF-8 `seed + "\\x1f" + pool + "\\x1f" + candidate`,
     where pool is "targets" or "inspectors" (one seed draws both lists independently);
  3. take the first k by that rank (ties, practically impossible, fall back to the candidate id).
The seed commitment is the hex SHA-256 of the UTF-8 seed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backend.errors import Conflict, Invalid
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger

ALGORITHM = "sha256-rank-v1"
COMMIT_KIND = "record.random_draw_commit"
REVEAL_KIND = "record.random_draw_reveal"
_SEP = "\x1f"


def new_seed() -> str:
    """A fresh 256-bit seed for an officer who has none of their own."""
    return secrets.token_hex(32)


def seed_commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def rank_key(seed: str, pool: str, candidate: str) -> str:
    return hashlib.sha256(_SEP.join((seed, pool, candidate)).encode("utf-8")).hexdigest()


def draw(seed: str, pool: str, candidates: Iterable[str], count: int) -> list[str]:
    """The first `count` candidates by rank; the same seed and candidates always give the same list."""
    unique = sorted(set(candidates))
    if count > len(unique):
        raise Invalid(
            f"cannot draw {count} from {len(unique)} {pool}", code="draw_count_exceeds_pool"
        )
    ranked = sorted(unique, key=lambda c: (rank_key(seed, pool, c), c))
    return ranked[:count]


@dataclass(frozen=True)
class DrawResult:
    targets: list[str]
    inspectors: list[str]


def draw_for(commit: dict[str, Any], seed: str) -> DrawResult:
    """Both lists a commitment's seed draws."""
    return DrawResult(
        targets=draw(seed, "targets", commit["target_pool"], commit["target_count"]),
        inspectors=draw(seed, "inspectors", commit["inspector_pool"], commit["inspector_count"]),
    )


def reveal_problems(commit: dict[str, Any], reveal: dict[str, Any]) -> list[str]:
    """What is wrong with a reveal against its commitment: [] when it verifies.

    Codes: `seed_mismatch`, `unknown_algorithm`, `bad_counts`, `targets_mismatch`, `inspectors_mismatch`.
    """
    if commit.get("algorithm", ALGORITHM) != ALGORITHM:
        return ["unknown_algorithm"]
    seed = str(reveal.get("seed", ""))
    if not hmac.compare_digest(seed_commitment(seed), str(commit.get("seed_sha256", ""))):
        return ["seed_mismatch"]
    try:
        expected = draw_for(commit, seed)
    except (Invalid, KeyError, TypeError):
        return ["bad_counts"]
    problems = []
    if list(reveal.get("targets") or []) != expected.targets:
        problems.append("targets_mismatch")
    if list(reveal.get("inspectors") or []) != expected.inspectors:
        problems.append("inspectors_mismatch")
    return problems


PROBLEM_TEXT = {
    "seed_mismatch": (
        "公布的随机种子与事先承诺的摘要不符",
        "the revealed seed does not match the commitment",
    ),
    "unknown_algorithm": (
        "抽取算法未知，无法复核",
        "unknown draw algorithm; cannot be re-computed",
    ),
    "bad_counts": ("抽取数量超过名录人数", "more to draw than there are candidates"),
    "targets_mismatch": (
        "抽中检查对象与种子复算结果不符",
        "drawn targets differ from the re-computed draw",
    ),
    "inspectors_mismatch": (
        "抽中检查人员与种子复算结果不符",
        "drawn inspectors differ from the re-computed draw",
    ),
}


async def commit_draw(
    ledger: Ledger,
    case_id: str,
    *,
    client_id: str,
    payload: dict[str, Any],
    actor: str | None,
    claimed: dict[str, Any] | None = None,
    device: str | None = None,
) -> Entry:
    """Append the commitment; refuses counts the pools cannot satisfy, so every commit can be revealed."""
    payload = {**payload, "algorithm": payload.get("algorithm") or ALGORITHM}
    if payload["algorithm"] != ALGORITHM:
        raise Invalid(f"draw algorithm must be {ALGORITHM}", code="unknown_draw_algorithm")
    for pool, count in (("target_pool", "target_count"), ("inspector_pool", "inspector_count")):
        if payload[count] > len(set(payload[pool])):
            raise Invalid(
                f"cannot draw {payload[count]} from {len(set(payload[pool]))} in {pool}",
                code="draw_count_exceeds_pool",
            )
    draft = Draft(case_id, COMMIT_KIND, client_id, payload, actor, device, claimed)
    return await ledger.append(draft)


async def reveal_draw(
    ledger: Ledger,
    case_id: str,
    *,
    client_id: str,
    payload: dict[str, Any],
    actor: str | None,
    claimed: dict[str, Any] | None = None,
    device: str | None = None,
) -> Entry:
    """Append the reveal after re-computing the draw; missing result lists are filled in from the seed.

    Refused: a commitment that is not this case's, a seed that does not hash to the commitment, a
    result that is not the draw, or a second reveal of one commitment.
    """
    commit_hash = payload["commit_entry"]
    timeline = await ledger.whole_timeline(case_id)
    for entry in timeline:
        if entry.body["client_id"] == client_id and entry.kind == REVEAL_KIND:
            return entry  # a resend: the ledger's own idempotency answers it the same way
    commit = next((e for e in timeline if e.hash == commit_hash), None)
    if commit is None or commit.kind != COMMIT_KIND:
        raise Invalid("no such draw commitment on this case", code="draw_commit_not_found")
    if any(
        e.kind == REVEAL_KIND and e.payload.get("commit_entry") == commit_hash for e in timeline
    ):
        raise Conflict("this draw has already been revealed", code="draw_already_revealed")
    seed = str(payload.get("seed", ""))
    if seed_commitment(seed) != commit.payload["seed_sha256"]:
        raise Invalid("the seed does not match the commitment", code="draw_seed_mismatch")
    expected = draw_for(commit.payload, seed)
    full = {
        **payload,
        "targets": payload.get("targets") or expected.targets,
        "inspectors": payload.get("inspectors") or expected.inspectors,
    }
    problems = reveal_problems(commit.payload, full)
    if problems:
        raise Invalid(
            "the drawn result is not what the seed draws",
            code="draw_result_mismatch",
            detail={"problems": problems, "expected": expected.__dict__},
        )
    return await ledger.append(Draft(case_id, REVEAL_KIND, client_id, full, actor, device, claimed))
