"""The explicit objective a week's plan is scored by (ours, first-fit, CP-SAT alike).

Score of a plan (higher is better), in points::

    score =   sum over requests  priority * placed minutes          (what got placed, by weight)
            + PREFERRED  * minutes placed inside the request's preferred windows
            - TIER_ERROR * sum over tiers |tier minutes - target share * account minutes|
            - EXTRA_CHUNK * sum over requests max(0, blocks - 1)    (fragmentation)

* *placed minutes* count timed blocks only (all-day markers take no time);
* a tier's *target share* is the mid-point of its range, normalised so the tiers
  add up to 1; *tier minutes* are the placed minutes of requests carrying that
  tier (account time, renewals, silent accounts ...), *account minutes* their sum;
* weights: placement dominates (priority 30-90 points a minute), then fit
  (10 a minute), the tier mix (20 a minute of error), and 300 points (about five
  minutes of a normal block) per extra piece a request was cut into (not for
  holding windows such as the call window: their cuts are the meetings they hold).

The CP-SAT model in :mod:`benchmarks.optimum` maximises exactly this expression,
so a plan's score divided by the optimum is a fair share (<= 1 for every plan
that respects the same constraints).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from blocker.core.keys import request_of
from blocker.core.models import Block, Busy, WeekSpec

__all__ = [
    "EXTRA_CHUNK",
    "PREFERRED",
    "TIER_ERROR",
    "Score",
    "score_blocks",
    "tier_shares",
    "violations",
]

# the planner's own weights (one source: the improvement pass aims at what is measured)
from blocker.planning.objective import EXTRA_CHUNK, PREFERRED, TIER_ERROR


@dataclass(frozen=True, slots=True)
class Score:
    """The objective's parts for one plan; ``total`` is the objective itself."""

    weighted_minutes: int
    placed_minutes: int
    preferred_minutes: int
    tier_error_minutes: float
    extra_chunks: int

    @property
    def total(self) -> float:
        return (
            self.weighted_minutes
            + PREFERRED * self.preferred_minutes
            - TIER_ERROR * self.tier_error_minutes
            - EXTRA_CHUNK * self.extra_chunks
        )


def tier_shares(spec: WeekSpec) -> dict[str, float]:
    """Each tier's target share (mid of its range), normalised to add up to 1."""
    mids = {t.name: (t.target_min + t.target_max) / 2 for t in spec.tiers}
    total = sum(mids.values())
    return {name: (mid / total if total else 0.0) for name, mid in mids.items()}


def _overlap_seconds(start: float, end: float, windows: Iterable[tuple[float, float]]) -> float:
    return sum(max(0.0, min(end, w_end) - max(start, w_start)) for w_start, w_end in windows)


def score_blocks(spec: WeekSpec, blocks: Sequence[Block]) -> Score:
    """Score ``blocks`` (a plan's blocks) against the requests of ``spec``."""
    requests = {r.key: r for r in spec.requests}
    placed: dict[str, int] = defaultdict(int)
    chunks: dict[str, int] = defaultdict(int)
    preferred_seconds = 0.0
    for block in blocks:
        if block.all_day:
            continue
        key = request_of(block.key, requests)
        if key is None:
            continue
        req = requests[key]
        placed[key] += block.minutes
        chunks[key] += 1
        if req.preferred:
            windows = [(p.start.timestamp(), p.end.timestamp()) for p in req.preferred]
            preferred_seconds += _overlap_seconds(
                block.start.timestamp(), block.end.timestamp(), windows
            )
    weighted = sum(requests[k].priority * m for k, m in placed.items())
    shares = tier_shares(spec)
    by_tier: dict[str, int] = defaultdict(int)
    for key, minutes in placed.items():
        tier = requests[key].tier
        if tier in shares:
            by_tier[tier] += minutes
    account = sum(by_tier.values())
    error = sum(abs(by_tier[t] - share * account) for t, share in shares.items())
    return Score(
        weighted_minutes=weighted,
        placed_minutes=sum(placed.values()),
        preferred_minutes=int(preferred_seconds // 60),
        tier_error_minutes=error,
        extra_chunks=sum(max(0, n - 1) for k, n in chunks.items() if not requests[k].holding),
    )


def violations(spec: WeekSpec, blocks: Sequence[Block], busy: Sequence[Busy]) -> list[str]:
    """Hard-constraint breaches of a plan (the same ones the CP-SAT model enforces):
    overlapping blocks, a block on a meeting (unless it is a protected ``keep`` one),
    outside working time or its window, over its minutes or under its minimum chunk."""
    problems: list[str] = []
    requests = {r.key: r for r in spec.requests}
    timed = sorted((b for b in blocks if not b.all_day), key=lambda b: b.start.timestamp())
    for a, b in itertools.pairwise(timed):
        if b.start.timestamp() < a.end.timestamp():
            problems.append(f"{a.key} overlaps {b.key}")
    meetings = [m for m in busy if m.blocks_time]
    working = [(w.start.timestamp(), w.end.timestamp()) for w in spec.working]
    placed: dict[str, int] = defaultdict(int)
    for block in timed:
        s, e = block.start.timestamp(), block.end.timestamp()
        key = request_of(block.key, requests)
        if key is None:
            problems.append(f"{block.key}: no request")
            continue
        req = requests[key]
        placed[key] += block.minutes
        keep = req.protected and req.conflict_policy == "keep" and req.fixed
        if not keep and any(m.start.timestamp() < e and s < m.end.timestamp() for m in meetings):
            problems.append(f"{block.key} lies on a meeting")
        if not any(ws <= s and e <= we for ws, we in working):
            problems.append(f"{block.key} is outside working time")
        if s < req.earliest.timestamp() or e > req.latest.timestamp():
            problems.append(f"{block.key} is outside its window")
        if block.minutes < min(req.min_chunk, req.minutes):
            problems.append(f"{block.key} is shorter than its minimum chunk")
        if req.max_chunk is not None and block.minutes > req.max_chunk:
            problems.append(f"{block.key} is longer than its maximum chunk")
    for key, minutes in placed.items():
        if minutes > requests[key].minutes:
            problems.append(f"{key}: {minutes} placed of {requests[key].minutes} asked")
    return problems
