"""A bounded improvement pass after the greedy placement.

The greedy order (priority first, each request at the best free time for
itself) loses to the optimum in two ways: a whole-week request placed early
takes the only hours of a later, narrow-window request, and two requests that
prefer the same mornings are served in priority order instead of interleaved.
This pass repairs both with one kind of move: take a *target* request (one with
minutes still missing, or a block outside its preferred windows), free a span
``s`` of its window by lifting the fresh blocks on it (at most
:data:`MAX_LIFTED`), refill the target and then each lifted request at its best
free time (:func:`blocker.planning.slots.choose`, the greedy's own rule), and
keep the result only when the week's objective strictly rises and no lifted
request of higher priority than the target lost minutes (:func:`_outranked`);
otherwise put everything back exactly.

Ranked preferred windows (``BlockRequest.preferred_rank``, first choice = rank 0)
are a tie-break under the objective, which counts any preferred minute alike: a
move that leaves the objective where it was is kept when it brings blocks into
better-ranked windows (fewer :func:`_rank_cost` seconds), so a block the greedy
put in its second choice moves to its first once a move frees it.

The objective is the one the plans are benchmarked by (its weights live in
:mod:`blocker.planning.objective`, which benchmarks/objective.py imports): priority-weighted
placed minutes, plus :data:`PREFERRED` a minute inside preferred windows, minus
:data:`TIER_ERROR` a minute of tier-share error, minus :data:`EXTRA_CHUNK` per
extra piece of a request.

Only *fresh* blocks move: those this run placed for a flexible request (never
pins, fixed or holding blocks, blocks kept from the previous plan, protected
``keep`` ones, or anything before ``now`` or the stability horizon), so a replan
with nothing changed keeps every previous block. The pass is deterministic
(targets by priority and key, spans in time order) and bounded by
:data:`BUDGET` evaluated moves.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from blocker.core.models import WeekSpec
from blocker.planning import objective
from blocker.planning.slots import choose
from blocker.planning.state import Placed, RequestState, Week
from blocker.planning.timeline import Span, clip, to_seconds

__all__ = ["BUDGET", "improve"]

PREFERRED = objective.PREFERRED
TIER_ERROR = objective.TIER_ERROR
EXTRA_CHUNK = objective.EXTRA_CHUNK * 60
"""Points per extra piece, in the pass's unit (points x 60: scores use seconds)."""
MAX_LIFTED = 2
"""Blocks lifted by one move: one is the brief's move, two frees a span between them."""
BUDGET = 150
"""Moves evaluated per plan at most (a few ms on a 70-request week); measured on
100 benchmark weeks, 400 gains under 0.1 point of share over 150."""
GAIN = 1e-6
"""A move must raise the objective by more than this (float noise) to count."""
ROUNDS = 4
"""Passes over the targets; a later pass sees the room earlier moves made."""


@dataclass(slots=True)
class _Ctx:
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


def improve(
    week: Week,
    spec: WeekSpec,
    states: Sequence[RequestState],
    now_s: int | None,
    settled: int | None,
) -> None:
    """Apply improving moves to the fresh blocks of ``states``: every timed request,
    fixed ones included (their blocks are in the way of a move, never moved)."""
    ctx = _context(week, spec, states, now_s, settled)
    order = sorted(
        (
            s
            for s in states
            if not s.req.fixed and ctx.windows[s.req.key][0] < ctx.windows[s.req.key][1]
        ),
        key=lambda s: (-s.req.priority, s.req.key),
    )
    for _ in range(ROUNDS):
        moved = False
        for state in order:
            if ctx.budget <= 0:
                return
            if _improve_one(ctx, state):
                moved = True
        if not moved:
            return


def _context(
    week: Week,
    spec: WeekSpec,
    states: Sequence[RequestState],
    now_s: int | None,
    settled: int | None,
) -> _Ctx:
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
    return _Ctx(week, states, windows, preferred, ranks, shares, tier_seconds, settled, BUDGET)


def _movable(ctx: _Ctx, state: RequestState, placed: Placed) -> bool:
    req = state.req
    return (
        placed.fresh
        and not req.fixed
        and not (req.protected and req.conflict_policy == "keep")
        and (ctx.settled is None or placed.span[0] >= ctx.settled)
    )


def _own_score(ctx: _Ctx, state: RequestState) -> float:
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


def _rank_cost(ctx: _Ctx, state: RequestState) -> int:
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


def _worse_ranked(ctx: _Ctx, key: str, span: Span) -> list[Span]:
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


def _tier_error(ctx: _Ctx) -> float:
    """The tier-mix term for the current placement (in points x 60)."""
    if not ctx.shares:
        return 0.0
    account = sum(ctx.tier_seconds.values())
    return TIER_ERROR * sum(
        abs(ctx.tier_seconds[t] - share * account) for t, share in ctx.shares.items()
    )


def _improve_one(ctx: _Ctx, state: RequestState) -> bool:
    """Try the target's jobs (missing minutes first, then blocks outside its
    preferred windows) span by span; keep the first strictly improving move."""
    rule = state.chunks
    key = state.req.key
    window = ctx.windows[key]
    jobs: list[tuple[int, Placed | None, list[Span]]] = []
    if state.remaining >= rule.min_len:
        want = rule.size(state.remaining, state.remaining)
        jobs.append((want, None, [window]))
        if rule.min_len < want:
            jobs.append((rule.min_len, None, [window]))
    if ctx.preferred[key]:
        for placed in state.placed:
            if not _movable(ctx, state, placed):
                continue
            if _fit(ctx, key, placed.span) < _len(placed.span):
                jobs.append((_len(placed.span), placed, clip([window], ctx.preferred[key])))
            elif better := _worse_ranked(ctx, key, placed.span):
                jobs.append((_len(placed.span), placed, clip([window], better)))
    best: tuple[Span, Placed | None, list[_Hit]] | None = None
    for length, own, area in jobs:
        for span, lifted in _candidates(ctx, state, own, area, length):
            if ctx.budget <= 0:
                break
            ctx.budget -= 1
            gain, rank_gain = _try(ctx, state, span, own, lifted, keep=False)
            if gain > GAIN or (gain > -GAIN and rank_gain > 0):
                best = (span, own, lifted)
                break  # first improvement: the budget reaches more targets
        if best is not None:
            break
    if best is None:
        return False
    _try(ctx, state, *best, keep=True)
    return True


def _len(span: Span) -> int:
    return span[1] - span[0]


def _fit(ctx: _Ctx, key: str, span: Span) -> int:
    """Seconds of ``span`` inside the request's preferred windows."""
    return sum(max(0, min(span[1], e) - max(span[0], s)) for s, e in ctx.preferred[key])


_Hit = tuple[RequestState, Placed]


def _candidates(
    ctx: _Ctx, state: RequestState, own: Placed | None, area: Sequence[Span], length: int
) -> list[tuple[Span, list[_Hit]]]:
    """Spans of ``length`` in ``area`` that lift at most MAX_LIFTED movable blocks of
    other requests and touch nothing else (no meeting, no fixed or kept block, none
    of the target's other blocks), inside working time; each with what it lifts."""
    week = ctx.week
    blockers: list[tuple[Span, bool, _Hit]] = []
    for other in ctx.states:
        for placed in other.placed:
            if other is state:
                if placed is not own:
                    blockers.append((placed.span, False, (other, placed)))
            else:
                blockers.append((placed.span, _movable(ctx, other, placed), (other, placed)))
    blockers.sort(key=lambda b: b[0])
    ends = [b[0][1] for b in blockers]
    out: list[tuple[Span, list[_Hit]]] = []
    for lo, hi in area:
        starts = {lo} | {w[0] for w in week.ours.working if lo < w[0] < hi}
        starts |= {e for _, e, _ in week.busy if lo < e < hi}
        i = bisect_right(ends, lo)
        for span, _, _ in blockers[max(0, i - 1) :]:
            if span[0] - length >= hi:
                break
            for edge in (span[0], span[1], span[1] - length):
                if lo <= edge < hi:
                    starts.add(edge)
        for start in sorted(starts):
            span = (start, start + length)
            if span[1] > hi or not week.ours.in_working(span) or week.meetings_on(span):
                continue
            if own is not None and span == own.span:
                continue
            hits: list[_Hit] = []
            ok = True
            j = bisect_right(ends, start)
            while j < len(blockers) and blockers[j][0][0] < span[1]:
                b_span, movable, hit = blockers[j]
                j += 1
                if b_span[1] <= start:
                    continue
                if not movable or len(hits) == MAX_LIFTED:
                    ok = False
                    break
                hits.append(hit)
            if ok:
                out.append((span, hits))
    return out


def _try(
    ctx: _Ctx,
    state: RequestState,
    span: Span,
    own: Placed | None,
    lifted: list[_Hit],
    *,
    keep: bool,
) -> tuple[float, int]:
    """Apply one move and return its gain and the rank seconds it saves (the
    tie-break); undo it unless ``keep``."""
    week = ctx.week
    others = sorted(
        {id(o): o for o, _ in lifted}.values(), key=lambda s: (-s.req.priority, s.req.key)
    )
    touched = [state, *others]
    before = [(s, list(s.placed)) for s in touched]
    score_before = sum(_own_score(ctx, s) for s in touched) - _tier_error(ctx)
    rank_before = sum(_rank_cost(ctx, s) for s in touched)
    if own is not None:
        week.evict(state, own)
    for other, placed in lifted:
        week.evict(other, placed)
    # the lifted requests refill away from the span, then the target takes it
    week.blocked.take(span)
    for other in others:
        _fill(ctx, other)
    week.blocked.release(span)
    _fill(ctx, state, span)
    _fill(ctx, state)
    for other in others:
        _fill(ctx, other)
    for s, placed_before in before:
        _count_tier(ctx, s, s.placed_seconds - sum(_len(p.span) for p in placed_before))
    gain = sum(_own_score(ctx, s) for s in touched) - _tier_error(ctx) - score_before
    rank_gain = rank_before - sum(_rank_cost(ctx, s) for s in touched)
    if _outranked(state, before):
        gain = -math.inf
    if not keep:
        _revert(ctx, before)
    return gain, rank_gain


def _outranked(state: RequestState, before: list[tuple[RequestState, list[Placed]]]) -> bool:
    """A lifted request lost minutes it outranks the target on: a higher priority
    (priority says who wins a full week, so no objective gain such as the tier mix
    buys that; without this the pass gave a renewal prep's time to account time, and
    the next replan, whose greedy gives it back, cycled with it: a run with no cause
    that wrote), or being an alert when the target is not (focus made up after a
    meeting takes optional work, never a renewal prep's time)."""
    return any(
        (other.req.priority > state.req.priority or (other.req.alert and not state.req.alert))
        and other.placed_seconds < sum(_len(p.span) for p in placed)
        for other, placed in before
        if other is not state
    )


def _count_tier(ctx: _Ctx, state: RequestState, seconds: int) -> None:
    tier = state.req.tier
    if tier is not None and tier in ctx.tier_seconds:
        ctx.tier_seconds[tier] += seconds


def _fill(ctx: _Ctx, state: RequestState, inside: Span | None = None) -> None:
    """Place the request's missing minutes at its best free time, as the greedy
    does; with ``inside``, one chunk inside that span only."""
    week = ctx.week
    window = ctx.windows[state.req.key]
    area = window if inside is None else (max(window[0], inside[0]), min(window[1], inside[1]))
    if area[0] >= area[1]:
        return
    preferred = ctx.preferred[state.req.key]
    rule = state.chunks
    while state.remaining >= rule.min_len:
        own_ends = frozenset(p.span[1] for p in state.placed)
        ranks = state.req.preferred_rank
        span = choose(week.blocked.free(area), preferred, state.remaining, rule, own_ends, ranks)
        if span is None:
            return
        key = state.next_key()
        week.place(state, Placed(key, span, state.titles.get(key, state.req.title), fresh=True))
        if inside is not None:
            return


def _revert(ctx: _Ctx, before: list[tuple[RequestState, list[Placed]]]) -> None:
    """Put the touched requests back exactly as they were."""
    week = ctx.week
    for state, placed_before in before:
        _count_tier(ctx, state, sum(_len(p.span) for p in placed_before) - state.placed_seconds)
        for placed in list(state.placed):
            week.evict(state, placed)
    for state, placed_before in before:
        for placed in placed_before:
            week.place(state, placed)
