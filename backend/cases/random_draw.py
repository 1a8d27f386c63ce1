"""The random inspection draw (双随机一公开): seed commitment, deterministic draw, and its verification.

Why commit-then-reveal, and why the commitment's own hash is mixed in: the officer commits
SHA-256(secret seed) and both candidate lists to the ledger *before* the draw. If the officer's seed
alone decided the draw, the officer could try seeds offline against the (public) pools and
algorithm and commit only one whose draw suits. So the draw is made with a seed that did not exist
until the commitment was on the ledger: SHA-256 of the officer's seed and the commitment entry's
hash, which carries the server's receiving time and the case's previous hash. Grinding seeds before
committing is useless. The officer does learn the result once the commitment is stored, so the
lever left is leaving it open and drawing again elsewhere: an officer holds one open commitment per
inspection plan (`plan`; none named is a plan of its own) across every case, a second one is
refused while the first is open, and an abandoned commitment or one left unrevealed past
`REVEAL_WITHIN` is flagged on the case and on the officer's spot-check ledger.

`casetrail verify` re-runs every draw from the entries alone (`draw_problems`): commitment →
reveal → the drawn targets and inspectors.

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

import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from backend.database import shared_lock
from backend.errors import Conflict, Invalid
from backend.ledger.entry import Draft, Entry
from backend.ledger.ledger import Ledger
from backend.moments import parse_iso

ALGORITHM = "sha256-rank-v2"
LEGACY_ALGORITHM = "sha256-rank-v1"
COMMIT_KIND = "record.random_draw_commit"
REVEAL_KIND = "record.random_draw_reveal"
ABANDON_KIND = "record.random_draw_abandon"
_SEP = "\x1f"
# A draw is made on the spot, on video: a commitment still unrevealed a day later is one the
# officer chose not to reveal.
REVEAL_WITHIN = timedelta(hours=24)


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

    @property
    def actor(self) -> str | None:
        return self.entry.get("actor")

    @property
    def plan(self) -> str:
        return plan_of(self.entry.get("payload") or {})

    @property
    def reveal_due(self) -> datetime:
        return parse_iso(self.entry["received_at"]) + REVEAL_WITHIN


def plan_of(payload: dict[str, Any]) -> str:
    """The inspection plan a commitment names ("" when none: still one plan per officer)."""
    return " ".join(str(payload.get("plan") or "").split())


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


# One appender per case (and per officer, for commitments) at a time across every worker and
# server on the database, so two quick taps cannot both commit, even when two servers take them.
def _lock(ledger: Ledger, key: str) -> AbstractAsyncContextManager[None]:
    return shared_lock(ledger.engine, f"draw:{key}")


async def open_commitments(ledger: Ledger, actor: str, plan: str) -> list[tuple[str, Commitment]]:
    """(case id, commitment) for every commitment of `actor` under `plan` still open, on any case."""
    cases = sorted(
        {e.case_id for e in await ledger.of_kind(COMMIT_KIND) if e.body.get("actor") == actor}
    )
    found = []
    for case_id, timeline in (await ledger.whole_timelines(cases)).items():
        for c in history({**e.body, "hash": e.hash} for e in timeline):
            if c.live and c.actor == actor and c.plan == plan:
                found.append((case_id, c))
    return found


async def _case_title(case_id: str) -> str:
    from backend.cases.tables import CaseState

    row = await CaseState.select(CaseState.title).where(CaseState.case_id == case_id).first()
    return row["title"] if row else "（未命名案件）"


async def _refuse_if_open_elsewhere(ledger: Ledger, case_id: str, actor: str, plan: str) -> None:
    """409 while the officer holds an open commitment of this plan on another case."""
    elsewhere = [(c, x) for c, x in await open_commitments(ledger, actor, plan) if c != case_id]
    if not elsewhere:
        return
    other_case, other = elsewhere[0]
    title = await _case_title(other_case)
    plan_zh = f"（抽查计划：{plan}）" if plan else ""
    plan_en = f" (plan: {plan})" if plan else ""
    raise Conflict(
        f"您在「{title}」案中还有一项未公布的随机抽取承诺{plan_zh}，"
        "请先在该案公布抽取结果，或说明理由放弃，再进行新的抽取"
        f" / You still have an open draw commitment in the case “{title}”{plan_en}: reveal its"
        " result there, or abandon it with a reason, before drawing again",
        code="draw_commit_open_elsewhere",
        detail={"case_title": title, "plan": plan, "committed_at": other.entry["received_at"]},
    )


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
    abandon it with a reason first), a new draw once one was revealed (`draw_already_made`), and a
    commitment while the officer holds an open one of the same plan on another case
    (`draw_commit_open_elsewhere`, naming that case by its title).
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
    plan = plan_of(payload)
    if "plan" in payload:
        if not plan:
            raise Invalid("抽查计划不能为空 / the inspection plan is empty", code="draw_plan_empty")
        payload["plan"] = plan
    async with _lock(ledger, f"officer:{actor}"), _lock(ledger, f"case:{case_id}"):
        bodies = await _bodies(ledger, case_id)
        if _resent(bodies, client_id, COMMIT_KIND) is None:
            if actor is not None:
                await _refuse_if_open_elsewhere(ledger, case_id, actor, plan)
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
    async with _lock(ledger, f"case:{case_id}"):
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
    async with _lock(ledger, f"case:{case_id}"):
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


# Why a draw fails verification: the reveal does not follow from its commitment.
VERIFY_TEXT = {
    **{code: PROBLEM_TEXT[code][1] for code in PROBLEM_TEXT},
    "no_commitment": "the reveal names no commitment on this case",
}
VERIFIED_PROBLEMS = (
    "seed_mismatch",
    "unknown_algorithm",
    "bad_counts",
    "targets_mismatch",
    "inspectors_mismatch",
)


@dataclass(frozen=True)
class DrawProblem:
    case_id: str
    case_title: str | None
    entry_hash: str
    codes: tuple[str, ...]

    def message(self) -> str:
        what = "; ".join(VERIFY_TEXT[c] for c in self.codes)
        return f"random draw does not follow from its commitment ({what})"


def draw_problems(bodies: Iterable[dict[str, Any]]) -> list[DrawProblem]:
    """Re-run every draw of the given entry bodies (each with its `hash`), case by case.

    A reveal verifies when its commitment is on the same case, the seed hashes to the committed
    digest, and the targets and inspectors are what the seed and the commitment's hash draw. A
    correction of either is judged by the first version (as compliance does); the old algorithm's
    draws recompute and pass here (compliance flags them as grindable).
    """
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for body in bodies:
        by_case[body.get("case_id", "")].append(body)
    found = []
    for case_id, entries in sorted(by_case.items()):
        entries.sort(key=lambda b: b.get("seq", -1))
        commits = {c.hash: c for c in history(entries)}
        title = next(
            (
                (b.get("payload") or {}).get("title")
                for b in entries
                if b.get("kind") == "case.opened"
            ),
            None,
        )
        for body in entries:
            if body.get("kind") != REVEAL_KIND or (body.get("corrects") or {}).get("hash"):
                continue
            payload = body.get("payload") or {}
            commitment = commits.get(payload.get("commit_entry"))
            if commitment is None:
                codes: list[str] = ["no_commitment"]
            else:
                problems = reveal_problems(
                    commitment.entry.get("payload") or {}, payload, commitment.hash
                )
                codes = [p for p in problems if p in VERIFIED_PROBLEMS]
            if codes:
                found.append(DrawProblem(case_id, title, body["hash"], tuple(codes)))
    return found


def draw_claims(bodies: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """`draw_problems` as the ledger's verification names them (its claim check, backend/handoffs.py)."""
    for problem in draw_problems(bodies):
        title = f" “{problem.case_title}”" if problem.case_title else ""
        where = f"case {problem.case_id}{title}, draw reveal {problem.entry_hash}"
        yield problem.entry_hash, where, problem.message()
