"""Step 4 of the placement order (see :mod:`blocker.planner`): the previous plan's
blocks that are still valid stay where they are.

A replan disturbs as little as possible: a block moves only when something landed
on it (DESIGN principle 13). Today's blocks and protected ``keep`` blocks are kept
even before the fixed requests, so neither is pushed by a template block.
"""

from __future__ import annotations

from collections.abc import Sequence

from blocker.core.keys import in_family
from blocker.core.models import Block, BlockRequest
from blocker.planning import text
from blocker.planning.flexible import shortest_chunk
from blocker.planning.state import DEFENDED_KINDS, Placed, RequestState, Week
from blocker.planning.timeline import overlaps, to_seconds


def keep_previous(
    week: Week,
    flexible: Sequence[RequestState],
    prev: dict[str, Block],
    stable_s: int | None,
    now_s: int | None,
    *,
    only_stable: bool = False,
    fixed: Sequence[RequestState] = (),
) -> None:
    """Keep last plan's blocks that are still valid, stable-horizon ones first.

    ``only_stable``: keep just the blocks starting before the stability horizon
    (today's), before any fixed request is placed: today's blocks stay put, so a
    template block this one displaced when the week was generated does not take its
    slot back this morning and push it into tomorrow's (a chain that rewrote the
    calendar every morning). The later call keeps the rest. Protected ``keep``
    blocks are kept in the first call too, on any day: a fixed template block placed
    ahead of them would take their time and the replan would delete a block whose
    policy is to stay (priya-la W45: a fixed wrap-up on made-up focus). Not ahead of
    a ``fixed`` request of higher priority on its time (a rule added since): priority
    still says who wins, and such a block moves as before.
    """
    candidates: list[tuple[bool, int, str, int, str, RequestState]] = []
    for state in flexible:
        family = {state.req.key} | {k for k in prev if in_family(k, state.req.key)}
        kept = {p.key for p in state.placed}
        for key in family:
            block = prev.get(key)
            if block is None or key in state.pinned_keys or key in state.dismissed_keys:
                continue
            state.was_planned = True
            if key in kept:
                continue
            today = stable_s is not None and to_seconds(block.start) < stable_s
            first = _kept_whatever(state.req) and not _outranked(state, block, fixed)
            if only_stable and not today and not first:
                continue
            if key != state.req.key and not key[len(state.req.key) + 1 :].isdigit():
                continue
            start = to_seconds(block.start)
            stable = stable_s is not None and start < stable_s
            candidates.append((not stable, -state.req.priority, state.req.key, start, key, state))
    for stays, _, _, start, key, state in sorted(candidates, key=lambda c: c[:5]):
        movable = stays and (now_s is None or start >= now_s)
        _keep_one(week, state, key, prev[key], movable)


def _outranked(state: RequestState, block: Block, fixed: Sequence[RequestState]) -> bool:
    """A fixed request of higher priority wants part of ``block``'s time."""
    span = (to_seconds(block.start), to_seconds(block.end))
    for other in fixed:
        start = to_seconds(other.req.earliest)
        wanted = (start, start + other.req.minutes * 60)
        if other.req.priority > state.req.priority and overlaps(span, wanted):
            return True
    return False


def _kept_whatever(req: BlockRequest) -> bool:
    """A protected ``keep`` request: its blocks stay where the last plan put them."""
    return req.protected and req.conflict_policy == "keep"


def _keep_one(week: Week, state: RequestState, key: str, block: Block, movable: bool) -> None:
    req = state.req
    span = (to_seconds(block.start), to_seconds(block.end))
    window = (to_seconds(req.earliest), to_seconds(req.latest))
    rule = state.chunks
    length = min(span[1] - span[0], state.remaining)
    defended = req.kind in DEFENDED_KINDS and req.conflict_policy == "keep"
    if defended and (week.covered(span) or state.lost):
        # once a meeting covers kept focus, kept focus blocks stay whole: the one a
        # meeting covers adds (almost) no focus, and the chunk made up for it is whole
        # (may overshoot); trimmed by what is left, the block kept last (today's
        # first, the rest by time) would lose the difference on a later morning with
        # nothing changed (noah-sydney W41 deleted one, priya-la W47 cut one)
        length = span[1] - span[0]
    if rule.max_len is not None:
        length = min(length, rule.max_len)
    shortest = shortest_chunk(req)
    if length < rule.min_len and (shortest is None or length < shortest or state.placed):
        return  # a shrinkable request's one short chunk (see blocker.planning.flexible) stays
    span = (span[0], span[0] + length)
    if not (window[0] <= span[0] and span[1] <= window[1]) or not week.ours.in_working(span):
        return
    if week.ours.is_taken(span):
        return
    meetings = week.meetings_on(span)
    keep = req.protected and req.conflict_policy == "keep"
    if week.away_on(span):
        meetings = week.away_on(span)  # the owner is away: even a `keep` block goes
        keep = False
    if meetings and not keep:
        start, _end, title = meetings[0]
        state.notes.append(text.meeting_took(title, start, week.tz))
        return
    title = state.titles.get(key, req.title)
    week.place(state, Placed(key, span, title, evictable=movable and not meetings), conflicts=True)


__all__ = ["keep_previous"]
