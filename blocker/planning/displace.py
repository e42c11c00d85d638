"""Displacement: a request with no free room takes the time of lower-priority blocks.

Priority is the rules' answer to "who wins when the week is too full". Without
this step a fixed block (an email batch at 9:00, a call-window placeholder) kept
its time against any flexible request, so a full week could drop a priority-85
go-live prep to keep a priority-55 email batch: measured against the CP-SAT
optimum (BENCHMARKS.md, section 1) that was most of the gap.

A block can be displaced when its request has a strictly lower priority and it
is neither pinned (the user's word) nor protected (it defends itself) nor
reserved against alerts when the displacer is one (``reserve: true``) nor
inside the stability horizon (today's blocks stay put). The span
chosen is the one with the largest gain, ``priority * length`` of the new chunk
minus ``priority * length`` of every block it overlaps (whole blocks go), and
only a positive gain is taken. Ties go to the earliest span.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from blocker.planning import text
from blocker.planning.state import Placed, RequestState, Week
from blocker.planning.timeline import Span

__all__ = ["displace"]


def _in_window(
    states: Sequence[RequestState], window: Span
) -> list[tuple[Span, RequestState, Placed]]:
    out: list[tuple[Span, RequestState, Placed]] = []
    for other in states:  # the request's own blocks too: they are in the way as well
        for placed in other.placed:
            span = placed.span
            if span[1] <= window[0] or span[0] >= window[1]:
                continue
            out.append((span, other, placed))
    out.sort(key=lambda v: v[0])
    return out


def _movable(
    victim: RequestState,
    placed: Placed,
    priority: int,
    stable: int | None,
    alert: bool = False,
    topup: bool = False,
) -> bool:
    req = victim.req
    return (
        req.priority < priority
        and not (alert and req.reserved)  # a reserved rule's time is kept from alerts
        and not (topup and req.alert)  # focus made up takes optional work, not an alert
        and (stable is None or placed.span[0] >= stable)
        and not placed.pinned
        and not req.protected
        and not req.all_day
        and (req.fixed or placed.evictable)
    )


def displace(
    week: Week,
    state: RequestState,
    window: Span,
    states: Sequence[RequestState],
    lengths: Sequence[int],
    stable: int | None,
) -> Span | None:
    """Free the best span of one of ``lengths`` (seconds, longest first) in
    ``window`` by evicting lower-priority blocks; return it, or None. Blocks
    starting before ``stable`` (the stability horizon) are never displaced."""
    priority, alert = state.req.priority, state.req.alert
    topup = state.lost > 0
    placed = _in_window(states, window)
    if not any(_movable(o, p, priority, stable, alert, topup) for _, o, p in placed):
        return None
    starts_of = [v[0][0] for v in placed]
    meetings = [(s, e) for s, e, _ in week.busy]
    candidates = sorted(
        {window[0]}
        | {w[0] for w in week.ours.working if window[0] <= w[0] < window[1]}
        | {v[0][0] for v in placed}
        | {v[0][1] for v in placed}
        | {e for s, e in meetings if window[0] <= e < window[1]}
    )
    best: tuple[int, int, Span, list[tuple[Span, RequestState, Placed]]] | None = None
    for length in lengths:
        for start in candidates:
            span = (start, start + length)
            if span[1] > window[1] or not week.ours.in_working(span):
                continue
            if any(s < span[1] and span[0] < e for s, e in meetings):
                continue
            hit = _overlapping(placed, starts_of, span)
            if not all(_movable(o, p, priority, stable, alert, topup) for _, o, p in hit):
                continue
            cost = sum(o.req.priority * (s[1] - s[0]) for s, o, _ in hit)
            gain = priority * length - cost
            if gain > 0 and (best is None or (gain, -start) > (best[0], -best[1])):
                best = (gain, start, span, hit)
        if best is not None:
            break
    if best is None:
        return None
    for _, other, victim in best[3]:
        week.evict(other, victim)
        other.notes.append(text.bumped_by(state.req.title))
    return best[2]


def _overlapping(
    placed: list[tuple[Span, RequestState, Placed]], starts: list[int], span: Span
) -> list[tuple[Span, RequestState, Placed]]:
    """Placed blocks overlapping ``span`` (``placed`` sorted by start)."""
    out: list[tuple[Span, RequestState, Placed]] = []
    i = bisect_left(starts, span[1])
    # blocks are short and non-overlapping: walk back while they can still reach in
    j = i - 1
    while j >= 0:
        s, e = placed[j][0]
        if e > span[0]:
            out.append(placed[j])
        elif s < span[0] - 24 * 3600:
            break
        j -= 1
    return out
