"""Step 5 of the placement order (see :mod:`blocker.planner`): the rest of every
flexible request, by priority, in the best free time; with no free room, in the
time of lower-priority blocks (one kept block evicted, else displacement).

Also the week's alert budget (shared out before placement) and the shorter chunk a
renewal prep takes rather than none (issue 15.6).
"""

from __future__ import annotations

from collections.abc import Sequence

from blocker.core.models import BlockRequest
from blocker.planning import text
from blocker.planning.displace import displace
from blocker.planning.slots import ChunkRule, choose
from blocker.planning.state import Placed, RequestState, Week
from blocker.planning.timeline import Span, overlaps, to_seconds

SHRINKABLE_KINDS = frozenset({"renewal_prep"})
"""Kinds that take a shorter chunk rather than none (issue 15.6): a renewal prep a
meeting lands on, with no whole chunk left before its window ends (the week's last
day, whose other blocks are not displaced), is kept shorter, not silently lost."""
SHORTEST_MINUTES = 15
"""The shortest chunk such a request takes; the rest is a reported shortfall."""


def place_flexible(
    week: Week,
    state: RequestState,
    now_s: int | None,
    stable_s: int | None,
    order: Sequence[RequestState],
    everyone: Sequence[RequestState],
) -> None:
    """Fill the request's remaining minutes; when no free room is left, take the
    time of one kept block of a lower-priority request (that request comes later
    in ``order`` and is re-placed in turn), else displace lower-priority blocks,
    fixed ones included (:mod:`blocker.planning.displace`)."""
    req = state.req
    lo = to_seconds(req.earliest)
    if now_s is not None:
        lo = max(lo, now_s)
    window = (lo, to_seconds(req.latest))
    preferred = [(to_seconds(p.start), to_seconds(p.end)) for p in req.preferred]
    rule = state.chunks
    while state.remaining >= rule.min_len and window[0] < window[1]:
        own_ends = frozenset(p.span[1] for p in state.placed)
        span = choose(
            week.blocked.free(window),
            preferred,
            state.remaining,
            rule,
            own_ends,
            req.preferred_rank,
        )
        if span is None:
            span = _by_eviction(week, state, window, preferred, own_ends, order)
        if span is None:
            want = rule.size(state.remaining, state.remaining)
            lengths = [want] if want == rule.min_len else [want, rule.min_len]
            settled = max((x for x in (now_s, stable_s) if x is not None), default=None)
            span = displace(week, state, window, everyone, lengths, settled)
        if span is None:
            span = _shorter(week, state, window, preferred)
        if span is None:
            return
        key = state.next_key()
        week.place(state, Placed(key, span, state.titles.get(key, req.title), fresh=True))


def shortest_chunk(req: BlockRequest) -> int | None:
    """Seconds of the shortest chunk a shrinkable request takes, else None."""
    if req.kind not in SHRINKABLE_KINDS or req.min_chunk <= SHORTEST_MINUTES:
        return None
    return min(req.minutes, SHORTEST_MINUTES) * 60


def _shorter(
    week: Week, state: RequestState, window: Span, preferred: Sequence[Span]
) -> Span | None:
    """One chunk shorter than ``min_chunk`` (down to :data:`SHORTEST_MINUTES`) in free
    time for a shrinkable request the previous plan had and this one has nothing of
    yet; None for the others (a prep never planned is a shortfall, as before, so the
    plan of a new week keeps the minimum chunk the benchmarks' optimum uses)."""
    shortest = shortest_chunk(state.req)
    if shortest is None or state.placed or not state.was_planned:
        return None  # only a prep that was on the calendar: a new one is a shortfall
    free = week.blocked.free(window)
    longest = max((end - start for start, end in free), default=0)
    if longest < shortest:
        return None
    # one chunk, as long as the longest free piece allows; the shortfall says the rest
    return choose(free, preferred, min(state.remaining, longest), ChunkRule(shortest, None))


def cap_alerts(
    cap_minutes: int, order: Sequence[RequestState], source: str = "alerts_max_hours"
) -> None:
    """Share the week's alert budget out in priority order; what is over it is capped
    (a shortfall saying so). Cap-exempt alerts (an urgent renewal) count but are never
    cut, so they come first whatever their priority."""
    alerts = [s for s in order if s.req.alert]
    # what is already placed (kept from the last plan, pinned) is spent first
    left = cap_minutes * 60 - sum(s.placed_seconds for s in alerts)
    for state in sorted(alerts, key=lambda s: not s.req.cap_exempt):
        wanted = state.remaining
        if state.req.cap_exempt:
            left -= wanted
            continue
        allowed = max(0, min(wanted, left))
        left -= allowed
        if allowed < wanted:
            state.capped += wanted - allowed
            state.notes.append(text.over_alert_cap(cap_minutes, source))


def _by_eviction(
    week: Week,
    state: RequestState,
    window: Span,
    preferred: Sequence[Span],
    own_ends: frozenset[int],
    order: Sequence[RequestState],
) -> Span | None:
    """Try lower-priority kept blocks in the window one at a time (lowest priority
    first); keep the first eviction that makes room, undo the others."""
    rule = state.chunks
    victims = [
        (other, placed)
        for other in reversed(order)
        if other.req.priority < state.req.priority
        and not (state.req.alert and other.req.reserved)
        and not (state.lost and other.req.alert)  # a focus top-up takes no alert's time
        and not other.req.protected  # as in displace: protected time is never taken
        for placed in sorted(other.placed, key=lambda p: p.span)
        if placed.evictable and overlaps(placed.span, window)
    ]
    for other, placed in victims:
        week.evict(other, placed)
        free = week.blocked.free(window)
        span = choose(free, preferred, state.remaining, rule, own_ends, state.req.preferred_rank)
        if span is not None:
            other.notes.append(text.bumped_by(state.req.title))
            return span
        week.place(other, placed)
    return None


__all__ = ["SHORTEST_MINUTES", "SHRINKABLE_KINDS", "cap_alerts", "place_flexible", "shortest_chunk"]
