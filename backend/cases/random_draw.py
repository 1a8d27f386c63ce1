"""The random inspection draw (双随机一公开): seed commitment, deterministic draw, and its verification.

Why commit-then-reveal, and why the commitment's own hash is mixed in: the officer commits
SHA-256(secret seed) and both candidate lists to the ledger *before* the draw. If the officer's seed
alone decided the draw, the officer could try seeds offline against the (public) pools and
algorithm and commit only one whose draw suits. So the draw is made with a seed that did not exist
until the commitment was on the ledger: SHA-256 of the officer's seed and the commitment entry's
hash, which carries the server's receiving time and the case's previous hash. Grinding seeds before
committing is useless; after committing, only abandoning the draw or committing again would help,
and the draw endpoints refuse a second live commitment while compliance flags every commitment that
was abandoned, superseded or never revealed.

Draw algorithm `sha256-rank-v2` (stable; a new algorithm gets a new name):
  0. draw seed = hex SHA-256 of UTF-8 `seed + "\\x1f" + commitment entry hash` (lower-case hex);
  1. drop duplicate candidate ids and sort the rest (so the order of the list does not matter);
  2. rank each candidate by the hex SHA-256 of UTF-8 `draw seed + "\\x1f" + pool + "\\x1f" + candidate`,
     where pool is "targets" or "inspectors" (one seed draws both lists independently);
  3. take the first k by that rank (ties, practically impossible, fall back to the candidate id).
The seed commitment is the hex SHA-256 of the UTF-8 seed. `sha256-rank-v1` (step 0 skipped) could
be ground offline; such draws still recompute but never verify.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from backend.errors import Conflict, Invalid
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger

ALGORITHM = "sha256-rank-v2"
LEGACY_ALGORITHM = "sha256-rank-v1"
COMMIT_KIND = "record.random_draw_commit"
REVEAL_KIND = "record.random_draw_reveal"
ABANDON_KIND = "record.random_draw_abandon"
_SEP = "\x1f"


def new_seed() -> str:
    """A fresh 256-bit seed for an officer who has none of their own."""
    return secrets.token_hex(32)


def seed_commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def draw_seed(seed: str, commit_hash: str) -> str:
    """The seed the draw is made with: unknown to anyone until the commitment entry exists."""
    return hashlib.sha256(_SEP.join((seed, commit_hash)).encode("utf-8")).hexdigest()


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


def draw_for(commit: dict[str, Any], seed: str, commit_hash: str) -> DrawResult:
    """Both lists a commitment's seed draws (commit_hash: the commitment entry's own hash)."""
    effective = (
        seed if commit.get("algorithm") == LEGACY_ALGORITHM else draw_seed(seed, commit_hash)
    )
    return DrawResult(
        targets=draw(effective, "targets", commit["target_pool"], commit["target_count"]),
        inspectors=draw(
            effective, "inspectors", commit["inspector_pool"], commit["inspector_count"]
        ),
    )


def reveal_problems(commit: dict[str, Any], reveal: dict[str, Any], commit_hash: str) -> list[str]:
    """What is wrong with a reveal against its commitment: [] when it verifies.

    Codes: `seed_mismatch`, `unknown_algorithm`, `bad_counts`, `targets_mismatch`,
    `inspectors_mismatch`, `grindable_algorithm`.
    """
    algorithm = commit.get("algorithm") or ALGORITHM
    if algorithm not in (ALGORITHM, LEGACY_ALGORITHM):
        return ["unknown_algorithm"]
    seed = str(reveal.get("seed", ""))
    if not hmac.compare_digest(seed_commitment(seed), str(commit.get("seed_sha256", ""))):
        return ["seed_mismatch"]
    try:
        expected = draw_for(commit, seed, commit_hash)
    except (Invalid, KeyError, TypeError):
        return ["bad_counts"]
    problems = []
    if list(reveal.get("targets") or []) != expected.targets:
        problems.append("targets_mismatch")
    if list(reveal.get("inspectors") or []) != expected.inspectors:
        problems.append("inspectors_mismatch")
    if algorithm == LEGACY_ALGORITHM:
        problems.append("grindable_algorithm")
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
    "grindable_algorithm": (
        "旧抽取算法只用执法人员自选的种子，无法证明未事先挑选结果",
        "the old algorithm used the officer's seed alone, so the result could have been chosen",
    ),
    "commit_corrected": (
        "抽取承诺事后被更正",
        "the commitment was corrected after it was made",
    ),
    "reveal_corrected": (
        "抽取结果事后被更正",
        "the revealed result was corrected after it was made",
    ),
}


@dataclass
class Commitment:
    """One commitment on a case and what became of it, in ledger order."""

    entry: dict[str, Any]
    reveals: list[dict[str, Any]] = field(default_factory=list)
    abandon: dict[str, Any] | None = None
    superseded_by: str | None = None  # a later commitment made while this one was still live
    after_draw: bool = False  # made when an earlier commitment of the case had been revealed

    @property
    def hash(self) -> str:
        return self.entry["hash"]

    @property
    def live(self) -> bool:
        return not self.reveals and self.abandon is None and self.superseded_by is None


def history(entries: Iterable[dict[str, Any]]) -> list[Commitment]:
    """Every commitment on a timeline (entry bodies with `hash`, in seq order) with its fate.

    Corrections are not followed: a draw is judged on what was on the ledger first.
    """
    commits: list[Commitment] = []
    by_hash: dict[str, Commitment] = {}
    for entry in entries:
        if (entry.get("corrects") or {}).get("hash"):
            continue
        payload = entry.get("payload") or {}
        if entry.get("kind") == COMMIT_KIND:
            for earlier in commits:
                if earlier.live:
                    earlier.superseded_by = entry["hash"]
            item = Commitment(entry, after_draw=any(c.reveals for c in commits))
            commits.append(item)
            by_hash[entry["hash"]] = item
        elif entry.get("kind") == REVEAL_KIND and payload.get("commit_entry") in by_hash:
            by_hash[payload["commit_entry"]].reveals.append(entry)
        elif entry.get("kind") == ABANDON_KIND and payload.get("commit_entry") in by_hash:
            target = by_hash[payload["commit_entry"]]
            target.abandon = target.abandon or entry
    return commits


# One appender per case at a time within this process, so two quick taps cannot both commit; across
# workers the compliance engine still flags the second commitment.
_locks: dict[str, asyncio.Lock] = {}


def _lock(case_id: str) -> asyncio.Lock:
    return _locks.setdefault(case_id, asyncio.Lock())


async def _bodies(ledger: Ledger, case_id: str) -> list[dict[str, Any]]:
    return [{**e.body, "hash": e.hash} for e in await ledger.whole_timeline(case_id)]


def _resent(bodies: list[dict[str, Any]], client_id: str, kind: str) -> dict[str, Any] | None:
    return next((b for b in bodies if b["client_id"] == client_id and b["kind"] == kind), None)


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
    """Append the commitment; refuses counts the pools cannot satisfy, so every commit can be revealed.

    Refused with 409: a second commitment while one is live (`draw_commit_pending`: reveal it or
    abandon it with a reason first) and a new draw once one was revealed (`draw_already_made`).
    """
    payload = {**payload, "algorithm": payload.get("algorithm") or ALGORITHM}
    if payload["algorithm"] != ALGORITHM:
        raise Invalid(f"draw algorithm must be {ALGORITHM}", code="unknown_draw_algorithm")
    for pool, count in (("target_pool", "target_count"), ("inspector_pool", "inspector_count")):
        if payload[count] > len(set(payload[pool])):
            raise Invalid(
                f"cannot draw {payload[count]} from {len(set(payload[pool]))} in {pool}",
                code="draw_count_exceeds_pool",
            )
    async with _lock(case_id):
        bodies = await _bodies(ledger, case_id)
        if _resent(bodies, client_id, COMMIT_KIND) is None:
            commits = history(bodies)
            if any(c.live for c in commits):
                raise Conflict(
                    "本案已有未公布的抽取承诺，请先公布结果或说明理由放弃"
                    " / a draw commitment is still open: reveal it, or abandon it with a reason",
                    code="draw_commit_pending",
                )
            if any(c.reveals for c in commits):
                raise Conflict(
                    "本案已完成随机抽取，不能重新抽取 / this case's draw was already made",
                    code="draw_already_made",
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

    Refused: a commitment that is not this case's, one abandoned or superseded, a seed that does not
    hash to the commitment, a result that is not the draw, or a second reveal of one commitment.
    """
    commit_hash = payload["commit_entry"]
    async with _lock(case_id):
        timeline = await ledger.whole_timeline(case_id)
        for entry in timeline:
            if entry.body["client_id"] == client_id and entry.kind == REVEAL_KIND:
                return entry  # a resend: the ledger's own idempotency answers it the same way
        bodies = [{**e.body, "hash": e.hash} for e in timeline]
        commitment = next((c for c in history(bodies) if c.hash == commit_hash), None)
        if commitment is None:
            raise Invalid("no such draw commitment on this case", code="draw_commit_not_found")
        if commitment.reveals:
            raise Conflict("this draw has already been revealed", code="draw_already_revealed")
        if commitment.abandon is not None or commitment.superseded_by is not None:
            raise Conflict(
                "该抽取承诺已放弃，不能再公布 / this commitment was abandoned",
                code="draw_commit_abandoned",
            )
        commit = commitment.entry["payload"]
        seed = str(payload.get("seed", ""))
        if seed_commitment(seed) != commit["seed_sha256"]:
            raise Invalid("the seed does not match the commitment", code="draw_seed_mismatch")
        expected = draw_for(commit, seed, commit_hash)
        full = {
            **payload,
            "targets": payload.get("targets") or expected.targets,
            "inspectors": payload.get("inspectors") or expected.inspectors,
        }
        problems = reveal_problems(commit, full, commit_hash)
        if problems:
            raise Invalid(
                "the drawn result is not what the seed draws",
                code="draw_result_mismatch",
                detail={"problems": problems, "expected": expected.__dict__},
            )
        draft = Draft(case_id, REVEAL_KIND, client_id, full, actor, device, claimed)
        return await ledger.append(draft)


async def abandon_draw(
    ledger: Ledger,
    case_id: str,
    *,
    client_id: str,
    payload: dict[str, Any],
    actor: str | None,
    claimed: dict[str, Any] | None = None,
    device: str | None = None,
) -> Entry:
    """Give up a live commitment (seed lost, pools wrong), with the reason; compliance flags it."""
    if not str(payload.get("reason") or "").strip():
        raise Invalid("放弃抽取须说明理由 / a reason is required", code="draw_abandon_reason")
    async with _lock(case_id):
        bodies = await _bodies(ledger, case_id)
        if _resent(bodies, client_id, ABANDON_KIND) is None:
            commitment = next(
                (c for c in history(bodies) if c.hash == payload["commit_entry"]), None
            )
            if commitment is None:
                raise Invalid("no such draw commitment on this case", code="draw_commit_not_found")
            if not commitment.live:
                raise Conflict("this commitment is no longer open", code="draw_commit_closed")
        draft = Draft(case_id, ABANDON_KIND, client_id, payload, actor, device, claimed)
        return await ledger.append(draft)
