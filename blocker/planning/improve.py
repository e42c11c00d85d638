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
better-ranked windows (fewer :func:`rank_cost` seconds), so a block the greedy
put in its second choice moves to its first once a move frees it.

The objective is the one the plans are benchmarked by (its weights live in
:mod:`blocker.planning.objective`, which benchmarks/objective.py imports): priority-weighted
placed minutes, plus ``PREFERRED`` a minute inside preferred windows, minus
``TIER_ERROR`` a minute of tier-share error, minus ``EXTRA_CHUNK`` per extra piece
of a request; the terms are computed in :mod:`blocker.planning.improve_score`.

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

from blocker.core.models import WeekSpec
from blocker.planning.improve_score import (
    Ctx,
    context,
    count_tier,
    fit,
    may_move,
    own_score,
    rank_cost,
    span_len,
    tier_error,
    worse_ranked,
)
from blocker.planning.slots import choose
from blocker.planning.state import Placed, RequestState, Week
from blocker.planning.timeline import Span, clip

__all__ = ["BUDGET", "improve"]

MAX_LIFTED = 2
"""Blocks lifted by one move: one is the brief's move, two frees a span between them."""
BUDGET = 150
"""Moves evaluated per plan at most (a few ms on a 70-request week); measured on
100 benchmark weeks, 400 gains under 0.1 point of share over 150."""
GAIN = 1e-6
"""A move must raise the objective by more than this (float noise) to count."""
ROUNDS = 4
"""Passes over the targets; a later pass sees the room earlier moves made."""


def improve(
    week: Week,
    spec: WeekSpec,
    states: Sequence[RequestState],
    now_s: int | None,
    settled: int | None,
) -> None:
    """Apply improving moves to the fresh blocks of ``states``: every timed request,
    fixed ones included (their blocks are in the way of a move, never moved)."""
    ctx = context(week, spec, states, now_s, settled, BUDGET)
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


def _improve_one(ctx: Ctx, state: RequestState) -> bool:
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
            if not may_move(ctx, state, placed):
                continue
            if fit(ctx, key, placed.span) < span_len(placed.span):
                jobs.append((span_len(placed.span), placed, clip([window], ctx.preferred[key])))
            elif better := worse_ranked(ctx, key, placed.span):
                jobs.append((span_len(placed.span), placed, clip([window], better)))
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


_Hit = tuple[RequestState, Placed]


def _candidates(
    ctx: Ctx, state: RequestState, own: Placed | None, area: Sequence[Span], length: int
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
                blockers.append((placed.span, may_move(ctx, other, placed), (other, placed)))
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
    ctx: Ctx,
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
    score_before = sum(own_score(ctx, s) for s in touched) - tier_error(ctx)
    rank_before = sum(rank_cost(ctx, s) for s in touched)
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
        count_tier(ctx, s, s.placed_seconds - sum(span_len(p.span) for p in placed_before))
    gain = sum(own_score(ctx, s) for s in touched) - tier_error(ctx) - score_before
    rank_gain = rank_before - sum(rank_cost(ctx, s) for s in touched)
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
        and other.placed_seconds < sum(span_len(p.span) for p in placed)
        for other, placed in before
        if other is not state
    )


def _fill(ctx: Ctx, state: RequestState, inside: Span | None = None) -> None:
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


def _revert(ctx: Ctx, before: list[tuple[RequestState, list[Placed]]]) -> None:
    """Put the touched requests back exactly as they were."""
    week = ctx.week
    for state, placed_before in before:
        count_tier(ctx, state, sum(span_len(p.span) for p in placed_before) - state.placed_seconds)
        for placed in list(state.placed):
            week.evict(state, placed)
    for state, placed_before in before:
        for placed in placed_before:
            week.place(state, placed)
