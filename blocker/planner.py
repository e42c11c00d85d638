"""BlockRequests + busy time + pins + the previous plan -> the week's Plan (pure).

The order of placement is what makes the plan predictable for the user:

1. all-day markers (date-level: they neither take time nor are blocked);
2. pins, the user's own decisions, exactly where the user put them;
3. fixed requests, exactly at ``[earliest, earliest + minutes)`` or cut/reported;
   a holding window (``BlockRequest.holding``: call window, QBR day) is cut
   around the meetings it holds instead, into pieces ``key``, ``key#1``... in
   time order, and the meetings' time is not a shortfall: it is the window working;
4. blocks of the previous plan that are still valid stay put (those starting
   before ``stability_until`` first, even before step 3: today's blocks stay where
   they are), so a replan disturbs as little as possible;
5. the rest of every flexible request by descending priority (ties: the
   narrower window first, most constrained, then key), in
   the best free time (see :mod:`blocker.planning.slots`); with no free room
   left, in the time of lower-priority blocks, fixed ones included, that are
   not pinned, protected or in the stability horizon
   (see :mod:`blocker.planning.displace`): priority says who wins a full week;
6. a bounded improvement pass moves blocks placed in step 5 when that strictly
   raises the week's objective (see :mod:`blocker.planning.improve`).

Pins: a moved pin is placed exactly where the user put it, with its title,
even outside working hours or on a meeting (recorded as a Conflict) or on
another pin: the user's word beats the planner's rules. A pin without times
only retitles. Dismissed blocks (the user deleted them) are never placed again;
the minutes they held are reported as a :class:`Shortfall` with reason
"dismissed by you", so that for every request placed + missing == requested and
the scorecard can say where the time went. Dismissing the base key of a request
that has no block in ``previous`` (or of a fixed or all-day one) dismisses the
whole request; dismissing a chunk key ``key#i`` takes away that chunk's minutes.

Everything runs on integer epoch seconds (see :mod:`blocker.planning.timeline`);
output times are in the week's time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from blocker.core.keys import chunk_key, in_family, request_of
from blocker.core.models import (
    Block,
    BlockRequest,
    Busy,
    Conflict,
    Pin,
    Plan,
    Shortfall,
    WeekSpec,
)
from blocker.planning import text
from blocker.planning.displace import displace
from blocker.planning.improve import improve
from blocker.planning.output import blocks_of, shortfall_of
from blocker.planning.slots import ChunkRule, choose
from blocker.planning.state import DEFENDED_KINDS, Placed, RequestState, Week
from blocker.planning.timeline import Span, overlaps, to_seconds

__all__ = ["plan_week"]


SETTLE_ROUNDS = 3
"""Replans of a plan over itself until it is its own fixed point (see plan_week)."""

SHRINKABLE_KINDS = frozenset({"renewal_prep"})
"""Kinds that take a shorter chunk rather than none (issue 15.6): a renewal prep a
meeting lands on, with no whole chunk left before its window ends (the week's last
day, whose other blocks are not displaced), is kept shorter, not silently lost."""
SHORTEST_MINUTES = 15
"""The shortest chunk such a request takes; the rest is a reported shortfall."""


def plan_week(
    spec: WeekSpec,
    *,
    busy: Sequence[Busy] = (),
    pins: Sequence[Pin] = (),
    previous: Sequence[Block] = (),
    now: datetime | None = None,
    stability_until: datetime | None = None,
) -> Plan:
    """Place the week's requests around ``busy`` time; see the module docstring.

    ``now``: nothing new is placed before it. ``stability_until``: blocks of
    ``previous`` starting before it are kept first, ahead of every other request.

    The greedy is not its own fixed point: replanned over its own output, it may
    fill a gap it left or swap two blocks, and the next run (with nothing changed)
    would write that (DESIGN principle 13). So the plan is replanned over itself,
    at most :data:`SETTLE_ROUNDS` times, until it no longer changes; the result is
    what a later run with nothing changed plans again. Blocks of ``previous`` the
    user dismissed stay in the previous set so their minutes stay dismissed.
    """
    first = plan = _plan_once(spec, busy, pins, previous, now, stability_until)
    dismissed = {p.key for p in pins if p.dismissed}
    held = [b for b in previous if b.key in dismissed]
    for _ in range(SETTLE_ROUNDS):
        again = _plan_once(spec, busy, pins, [*plan.blocks, *held], now, stability_until)
        if again.blocks == plan.blocks:
            break
        plan = again
    return _with_first_reasons(plan, first)


def _with_first_reasons(plan: Plan, first: Plan) -> Plan:
    """The first pass saw the causes (the meeting that took a block's time, the block
    that displaced it); later passes only see the result. Keep its words where the
    outcome is the same."""
    said = {s.key: s for s in first.shortfall}
    shortfall = tuple(
        replace(s, reason=said[s.key].reason)
        if s.key in said and said[s.key].placed_minutes == s.placed_minutes
        else s
        for s in plan.shortfall
    )
    return replace(plan, shortfall=shortfall)


def _plan_once(
    spec: WeekSpec,
    busy: Sequence[Busy],
    pins: Sequence[Pin],
    previous: Sequence[Block],
    now: datetime | None,
    stability_until: datetime | None,
) -> Plan:
    """One pass of the placement order of the module docstring."""
    week = Week(spec, busy)
    states: dict[str, RequestState] = {}
    for req in spec.requests:
        states.setdefault(req.key, RequestState(req))
    prev = {b.key: b for b in previous}
    now_s = to_seconds(now) if now is not None else None
    _apply_pins(week, states, pins, prev)
    markers = [s for s in states.values() if s.req.all_day and not s.all_dismissed]
    for state in markers:
        _place_marker(week, state)
    timed = [s for s in states.values() if not s.req.all_day and not s.all_dismissed]
    fixed = sorted(
        (s for s in timed if s.req.fixed and (s.req.holding or not s.placed)),
        key=lambda s: (-s.req.priority, s.req.earliest, s.req.key),
    )
    flexible = [s for s in timed if not s.req.fixed]
    stable_s = to_seconds(stability_until) if stability_until is not None else None
    _keep_previous(week, flexible, prev, stable_s, now_s, only_stable=True)
    for state in fixed:
        if state.req.holding:
            _place_holding(week, state, prev, now_s, stable_s)
        else:
            _place_fixed(week, state, prev, now_s)
    _keep_previous(week, flexible, prev, stable_s, now_s)
    order = sorted(
        flexible,
        key=lambda s: (-s.req.priority, s.req.latest - s.req.earliest, s.req.key),
    )
    if spec.alerts_max_minutes is not None:
        _cap_alerts(spec.alerts_max_minutes, order, spec.alerts_cap_source)
    for state in order:
        _place_flexible(week, state, now_s, stable_s, order, timed)
    settled = max((x for x in (now_s, stable_s) if x is not None), default=None)
    improve(week, spec, timed, now_s, settled)
    blocks: list[Block] = []
    shortfall: list[Shortfall] = []
    for state in states.values():
        blocks.extend(blocks_of(week, state))
        missing = shortfall_of(week, state, now_s)
        if missing is not None:
            shortfall.append(missing)
    defended = {k for k, s in states.items() if s.req.kind in DEFENDED_KINDS}
    return Plan(
        week=spec.week,
        timezone=spec.timezone,
        blocks=tuple(sorted(blocks, key=lambda b: (b.start, b.all_day, b.key))),
        # a defended minimum (focus) short is the first thing the user reads
        shortfall=tuple(sorted(shortfall, key=lambda s: (s.key not in defended, s.rule, s.key))),
        conflicts=tuple(sorted(week.conflicts, key=lambda c: (c.start, c.key, c.meeting))),
    )


def _apply_pins(
    week: Week, states: dict[str, RequestState], pins: Sequence[Pin], prev: dict[str, Block]
) -> None:
    """Honour the user's decisions first: moved blocks stay, deleted ones stay gone.

    A pin is the user's word and is placed even outside working hours or on a
    meeting (the overlap is recorded as a Conflict, not silently dropped).
    """
    latest: dict[str, Pin] = {}
    for pin in pins:
        latest[pin.key] = pin
    for key in sorted(latest):
        pin = latest[key]
        base = request_of(key, states)
        if base is None:
            continue
        state = states[base]
        if pin.dismissed:
            state.dismissed_keys.add(key)
            before = prev.get(key)
            if key == base and (before is None or state.req.fixed or state.req.all_day):
                state.all_dismissed = True
            elif before is not None:
                state.dismissed += before.minutes * 60
            continue
        if pin.title is not None:
            state.titles[key] = pin.title
        if pin.start is None:
            continue  # retitled only: the block goes wherever the planner puts it
        end = pin.end
        if end is None:
            before = prev.get(key)
            end = pin.start + (before.end - before.start if before else _default_len(state.req))
        span = (to_seconds(pin.start), to_seconds(end))
        if span[1] <= span[0]:
            continue
        state.pinned_keys.add(key)
        title = pin.title or state.req.title
        if state.req.all_day:
            state.placed.append(Placed(key, span, title, pinned=True))
        else:
            week.place(state, Placed(key, span, title, pinned=True), conflicts=True)


def _default_len(req: BlockRequest) -> timedelta:
    minutes = req.minutes if req.max_chunk is None else min(req.minutes, req.max_chunk)
    return timedelta(minutes=minutes)


def _place_marker(week: Week, state: RequestState) -> None:
    """All-day markers cover their window (or ``minutes`` from ``earliest``)."""
    if state.placed:
        return
    req = state.req
    start = to_seconds(req.earliest)
    end = to_seconds(req.latest) if req.latest > req.earliest else start + req.minutes * 60
    away = [a for a in week.away if a[0] <= start and end <= a[1]]
    if away:  # a whole day away (an offsite): no marker for it
        a_start, _, title = away[0]
        state.notes.append(text.meeting_takes(title, a_start, week.tz))
        return
    state.placed.append(Placed(req.key, (start, end), state.titles.get(req.key, req.title)))
    if req.protected and req.conflict_policy == "keep":
        # a marker holds no time, so meetings may be booked on it (the meeting-free
        # day); each is reported as a conflict naming the meeting and its time
        for m_start, m_end, title in week.meetings_on((start, end)):
            week.conflicts.append(
                Conflict(req.key, title, text.at(m_start, week.tz), text.at(m_end, week.tz))
            )


def _place_fixed(
    week: Week, state: RequestState, prev: dict[str, Block], now_s: int | None
) -> None:
    """Exactly at its time, or cut to the longest usable free part, or not at all."""
    req = state.req
    span = (to_seconds(req.earliest), to_seconds(req.earliest) + req.minutes * 60)
    keep = req.protected and req.conflict_policy == "keep"
    room = week.without_away(week.ours.free(span)) if keep else week.blocked.free(span)
    before = prev.get(req.key)
    was_there = before is not None and (to_seconds(before.start), to_seconds(before.end)) == span
    if now_s is not None and not was_there:
        room = [(max(s, now_s), e) for s, e in room if e > now_s]
    title = state.titles.get(req.key, req.title)
    if room == [span]:
        week.place(state, Placed(req.key, span, title), conflicts=keep)
        return
    state.notes.append(_why_not(week, span, room, now_s if not was_there else None))
    usable = [p for p in room if p[1] - p[0] >= state.chunks.min_len]
    if usable:
        best = min(usable, key=lambda p: (-(p[1] - p[0]), p[0]))
        week.place(state, Placed(req.key, best, title), conflicts=keep)


def _place_holding(
    week: Week,
    state: RequestState,
    prev: dict[str, Block],
    now_s: int | None,
    stable_s: int | None = None,
) -> None:
    """Cover the free parts of the window (each at least ``min_chunk``) with
    pieces; what meetings take (and slivers between them) is held, not missing.

    Only time lost to our own blocks or pins, or outside working hours, is a
    shortfall. A piece in the past stays only if the previous plan had it there,
    and the past part of the window counts as held (it is over either way). Nor is
    a piece re-created today (before ``stable_s``) when the previous plan had none
    of the window: a block of higher priority took it, kept today ahead of the
    window; the part it left would come back only on the window's own morning, a
    write with no cause (jordan-nyc W11's QBR window beside made-up focus).
    """
    req = state.req
    span = (to_seconds(req.earliest), to_seconds(req.earliest) + req.minutes * 60)
    ours = week.ours.free(span)  # the window minus our blocks, pins and non-working time
    before = {
        (to_seconds(b.start), to_seconds(b.end))
        for key, b in prev.items()
        if in_family(key, req.key)
    }
    gone_today = bool(prev) and not before and stable_s is not None
    pieces: list[Span] = []
    for start, end in week.blocked.free(span):
        if gone_today and stable_s is not None and start < stable_s:
            continue
        if now_s is not None and start < now_s and (start, end) not in before:
            start = max(start, now_s)
        if end - start >= state.chunks.min_len:
            pieces.append((start, end))
    ordinal = 0
    skipped = 0
    for piece in pieces:
        key = chunk_key(req.key, ordinal)
        while key in state.pinned_keys:
            ordinal += 1
            key = chunk_key(req.key, ordinal)
        ordinal += 1
        if key in state.dismissed_keys:
            skipped += piece[1] - piece[0]
            continue
        week.place(state, Placed(key, piece, state.titles.get(key, req.title)))
    own = sum(p[1] - p[0] for p in pieces)
    state.held = max(0, sum(e - s for s, e in ours) - own)
    if skipped and not state.dismissed:
        state.dismissed = skipped
    if state.remaining:
        state.notes.append(_why_not(week, span, ours, None))


def _why_not(week: Week, span: Span, room: list[Span], now_s: int | None) -> str:
    """Name what takes the part of ``span`` that is not in ``room``."""
    for start, end, title in week.meetings_on(span):
        if not any(overlaps(p, (start, end)) for p in room):
            return text.meeting_takes(title, start, week.tz)
    for other, title in week.titled:
        if overlaps(other, span):
            return text.block_takes(title)
    if now_s is not None and span[0] < now_s:
        return text.PAST
    if not week.ours.in_working(span):
        return text.OUTSIDE
    return text.OUTSIDE  # pragma: no cover - room short of span has one of the causes above


def _keep_previous(
    week: Week,
    flexible: Sequence[RequestState],
    prev: dict[str, Block],
    stable_s: int | None,
    now_s: int | None,
    *,
    only_stable: bool = False,
) -> None:
    """Keep last plan's blocks that are still valid, stable-horizon ones first.

    ``only_stable``: keep just the blocks starting before the stability horizon
    (today's), before any fixed request is placed: today's blocks stay put, so a
    template block this one displaced when the week was generated does not take its
    slot back this morning and push it into tomorrow's (a chain that rewrote the
    calendar every morning). The later call keeps the rest. Protected ``keep``
    blocks are kept in the first call too, on any day: a fixed template block placed
    ahead of them would take their time and the replan would delete a block whose
    policy is to stay (priya-la W45: a fixed wrap-up on made-up focus).
    """
    candidates: list[tuple[bool, int, str, int, str, RequestState]] = []
    for state in flexible:
        family = {state.req.key} | {k for k in prev if in_family(k, state.req.key)}
        kept = {p.key for p in state.placed}
        for key in family:
            block = prev.get(key)
            if block is None or key in state.pinned_keys or key in state.dismissed_keys:
                continue
            if key in kept:
                continue
            today = stable_s is not None and to_seconds(block.start) < stable_s
            if only_stable and not today and not _kept_whatever(state.req):
                continue
            if key != state.req.key and not key[len(state.req.key) + 1 :].isdigit():
                continue
            start = to_seconds(block.start)
            stable = stable_s is not None and start < stable_s
            candidates.append((not stable, -state.req.priority, state.req.key, start, key, state))
    for stays, _, _, start, key, state in sorted(candidates, key=lambda c: c[:5]):
        movable = stays and (now_s is None or start >= now_s)
        _keep_one(week, state, key, prev[key], movable)


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
    shortest = _shortest(req)
    if length < rule.min_len and (shortest is None or length < shortest or state.placed):
        return  # a shrinkable request's one short chunk (see _shorter) stays
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


def _place_flexible(
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


def _shortest(req: BlockRequest) -> int | None:
    """Seconds of the shortest chunk a shrinkable request takes, else None."""
    if req.kind not in SHRINKABLE_KINDS or req.min_chunk <= SHORTEST_MINUTES:
        return None
    return min(req.minutes, SHORTEST_MINUTES) * 60


def _shorter(
    week: Week, state: RequestState, window: Span, preferred: Sequence[Span]
) -> Span | None:
    """One chunk shorter than ``min_chunk`` (down to :data:`SHORTEST_MINUTES`) in free
    time for a shrinkable request that has nothing placed; None for the others."""
    shortest = _shortest(state.req)
    if shortest is None or state.placed:
        return None
    free = week.blocked.free(window)
    longest = max((end - start for start, end in free), default=0)
    if longest < shortest:
        return None
    # one chunk, as long as the longest free piece allows; the shortfall says the rest
    return choose(free, preferred, min(state.remaining, longest), ChunkRule(shortest, None))


def _cap_alerts(
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
