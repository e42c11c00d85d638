"""BlockRequests + busy time + pins + the previous plan -> the week's Plan (pure).

The order of placement is what makes the plan predictable for the user:

1. all-day markers (date-level: they neither take time nor are blocked);
2. pins, the user's own decisions, exactly where the user put them;
3. fixed requests, exactly at ``[earliest, earliest + minutes)`` or cut/reported;
   a holding window (``BlockRequest.holding``: call window, QBR day) is cut
   around the meetings it holds instead, into pieces ``key``, ``key#1``... in
   time order, and the meetings' time is not a shortfall: it is the window working
   (steps 1-3: :mod:`blocker.planning.fixed`);
4. blocks of the previous plan that are still valid stay put (those starting
   before ``stability_until`` first, even before step 3: today's blocks stay where
   they are; protected ``keep`` blocks too), so a replan disturbs as little as
   possible (:mod:`blocker.planning.keep`);
5. the rest of every flexible request by descending priority (ties: the
   narrower window first, most constrained, then key), in
   the best free time (see :mod:`blocker.planning.slots`); with no free room
   left, in the time of lower-priority blocks, fixed ones included, that are
   not pinned, protected or in the stability horizon
   (see :mod:`blocker.planning.displace`): priority says who wins a full week;
   a renewal prep with no whole chunk left takes a shorter one
   (:mod:`blocker.planning.flexible`);
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
from datetime import datetime

from blocker.core.models import (
    Block,
    Busy,
    Pin,
    Plan,
    Shortfall,
    WeekSpec,
)
from blocker.planning.fixed import apply_pins, place_fixed, place_holding, place_marker
from blocker.planning.flexible import SHORTEST_MINUTES, cap_alerts, place_flexible
from blocker.planning.improve import improve
from blocker.planning.keep import keep_previous
from blocker.planning.output import blocks_of, shortfall_of
from blocker.planning.state import DEFENDED_KINDS, RequestState, Week
from blocker.planning.timeline import to_seconds

__all__ = ["SHORTEST_MINUTES", "plan_week"]


SETTLE_ROUNDS = 3
"""Replans of a plan over itself until it is its own fixed point (see plan_week)."""


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
    apply_pins(week, states, pins, prev)
    markers = [s for s in states.values() if s.req.all_day and not s.all_dismissed]
    for state in markers:
        place_marker(week, state)
    timed = [s for s in states.values() if not s.req.all_day and not s.all_dismissed]
    fixed = sorted(
        (s for s in timed if s.req.fixed and (s.req.holding or not s.placed)),
        key=lambda s: (-s.req.priority, s.req.earliest, s.req.key),
    )
    flexible = [s for s in timed if not s.req.fixed]
    stable_s = to_seconds(stability_until) if stability_until is not None else None
    keep_previous(week, flexible, prev, stable_s, now_s, only_stable=True, fixed=fixed)
    for state in fixed:
        if state.req.holding:
            place_holding(week, state, prev, now_s, stable_s)
        else:
            place_fixed(week, state, prev, now_s)
    keep_previous(week, flexible, prev, stable_s, now_s)
    order = sorted(
        flexible,
        key=lambda s: (-s.req.priority, s.req.latest - s.req.earliest, s.req.key),
    )
    if spec.alerts_max_minutes is not None:
        cap_alerts(spec.alerts_max_minutes, order, spec.alerts_cap_source)
    for state in order:
        place_flexible(week, state, now_s, stable_s, order, timed)
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
