"""The yardstick of the improvement pass (:mod:`blocker.planning.improve`): what
one run knows about every request, and the objective terms a move is judged by.

Kept apart from the search so the terms read next to each other: priority-weighted
placed seconds, preferred fit, extra pieces, the tier-mix error (weights from
:mod:`blocker.planning.objective`, which the benchmarks share), and the rank
tie-break. Which blocks may move at all (:func:`may_move`) is here too: it is what
keeps a replan with nothing changed from moving anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from blocker.core.models import WeekSpec
from blocker.planning import objective
from blocker.planning.state import Placed, RequestState, Week
from blocker.planning.timeline import Span, to_seconds

PREFERRED = objective.PREFERRED
TIER_ERROR = objective.TIER_ERROR
EXTRA_CHUNK = objective.EXTRA_CHUNK * 60
"""Points per extra piece, in the pass's unit (points x 60: scores use seconds)."""


@dataclass(slots=True)
class Ctx:
    """What one run of the pass needs about every request."""

    week: Week
    states: Sequence[RequestState]
    windows: dict[str, Span]
    preferred: dict[str, list[Span]]
    ranks: dict[str, list[int]]
    shares: dict[str, float]
    tier_seconds: dict[str, int]
    settled: int | None
    budget: int


def context(
    week: Week,
    spec: WeekSpec,
    states: Sequence[RequestState],
    now_s: int | None,
    settled: int | None,
    budget: int,
) -> Ctx:
    windows: dict[str, Span] = {}
    preferred: dict[str, list[Span]] = {}
    ranks: dict[str, list[int]] = {}
    for state in states:
        req = state.req
        lo = to_seconds(req.earliest)
        if now_s is not None:
            lo = max(lo, now_s)
        windows[req.key] = (lo, to_seconds(req.latest))
        preferred[req.key] = [(to_seconds(p.start), to_seconds(p.end)) for p in req.preferred]
        ranks[req.key] = list(req.preferred_rank) or [0] * len(req.preferred)
    mids = {t.name: (t.target_min + t.target_max) / 2 for t in spec.tiers}
    total = sum(mids.values())
    shares = {name: (mid / total if total else 0.0) for name, mid in mids.items()}
    tier_seconds = dict.fromkeys(shares, 0)
    for state in states:
        tier = state.req.tier
        if tier in tier_seconds and not state.req.all_day:
            tier_seconds[tier] += state.placed_seconds
    return Ctx(week, states, windows, preferred, ranks, shares, tier_seconds, settled, budget)


def may_move(ctx: Ctx, state: RequestState, placed: Placed) -> bool:
    req = state.req
    return (
        placed.fresh
        and not req.fixed
        and not (req.protected and req.conflict_policy == "keep")
        and (ctx.settled is None or placed.span[0] >= ctx.settled)
    )


def own_score(ctx: Ctx, state: RequestState) -> float:
    """The request's own terms: weighted seconds, preferred fit, fragmentation."""
    req = state.req
    if req.all_day:
        return 0.0
    pref = ctx.preferred[req.key]
    seconds = 0
    fit = 0
    for placed in state.placed:
        start, end = placed.span
        seconds += end - start
        for p_start, p_end in pref:
            fit += max(0, min(end, p_end) - max(start, p_start))
    extra = 0 if req.holding else max(0, len(state.placed) - 1)
    return req.priority * seconds + PREFERRED * fit - EXTRA_CHUNK * extra


def rank_cost(ctx: Ctx, state: RequestState) -> int:
    """Seconds placed times the rank of the window they sit in (outside every
    preferred window: one past the worst rank); 0 for an unranked request."""
    req = state.req
    if req.all_day or not req.preferred_rank:
        return 0
    pref, ranks = ctx.preferred[req.key], ctx.ranks[req.key]
    outside = max(ranks) + 1
    cost = 0
    for placed in state.placed:
        start, end = placed.span
        inside = 0
        for (p_start, p_end), rank in zip(pref, ranks, strict=True):
            overlap = max(0, min(end, p_end) - max(start, p_start))
            inside += overlap
            cost += rank * overlap
        cost += outside * (end - start - inside)
    return cost


def worse_ranked(ctx: Ctx, key: str, span: Span) -> list[Span]:
    """The preferred windows ranked better than the best one ``span`` touches
    (all of them when it touches none); empty for an unranked request."""
    pref, ranks = ctx.preferred[key], ctx.ranks[key]
    if len(set(ranks)) < 2:
        return []
    touched = [
        r for (s, e), r in zip(pref, ranks, strict=True) if min(span[1], e) > max(span[0], s)
    ]
    best = min(touched, default=max(ranks) + 1)
    return [p for p, r in zip(pref, ranks, strict=True) if r < best]


def tier_error(ctx: Ctx) -> float:
    """The tier-mix term for the current placement (in points x 60)."""
    if not ctx.shares:
        return 0.0
    account = sum(ctx.tier_seconds.values())
    return TIER_ERROR * sum(
        abs(ctx.tier_seconds[t] - share * account) for t, share in ctx.shares.items()
    )


def span_len(span: Span) -> int:
    return span[1] - span[0]


def fit(ctx: Ctx, key: str, span: Span) -> int:
    """Seconds of ``span`` inside the request's preferred windows."""
    return sum(max(0, min(span[1], e) - max(span[0], s)) for s, e in ctx.preferred[key])


def count_tier(ctx: Ctx, state: RequestState, seconds: int) -> None:
    tier = state.req.tier
    if tier is not None and tier in ctx.tier_seconds:
        ctx.tier_seconds[tier] += seconds


__all__ = [
    "EXTRA_CHUNK",
    "PREFERRED",
    "TIER_ERROR",
    "Ctx",
    "context",
    "count_tier",
    "fit",
    "may_move",
    "own_score",
    "rank_cost",
    "span_len",
    "tier_error",
    "worse_ranked",
]
