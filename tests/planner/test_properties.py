"""Property tests: the planner's promises hold for any week Hypothesis can build."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blocker.core.models import Block, BlockRequest, Busy, Interval, Pin, Plan, WeekSpec
from blocker.core.weeks import week_dates
from blocker.planner import plan_week
from tests.planner.helpers import at, family

ZONES = ("UTC", "America/New_York", "Europe/Berlin")
WEEKS = ("2026-W10", "2026-W13", "2026-W44", "2026-W45", "2026-W49")

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Case:
    spec: WeekSpec
    busy: tuple[Busy, ...]
    pins: tuple[Pin, ...]
    now: datetime | None


def _slot(draw: st.DrawFn, tz: str, week: str, lo_hour: int = 6, hi_hour: int = 20) -> datetime:
    day = draw(st.sampled_from(week_dates(week)))
    quarter = draw(st.integers(lo_hour * 4, hi_hour * 4 - 1))
    return at(tz, day, quarter // 4, quarter % 4 * 15)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    tz = draw(st.sampled_from(ZONES))
    week = draw(st.sampled_from(WEEKS))
    days = week_dates(week)
    working: list[Interval] = []
    for day in days[: draw(st.integers(1, 7))]:
        if draw(st.booleans()) and draw(st.booleans()):
            continue  # a day off
        start = draw(st.integers(7, 10))
        if draw(st.booleans()):
            working.append(Interval(at(tz, day, start), at(tz, day, 12)))
            working.append(Interval(at(tz, day, 13), at(tz, day, draw(st.integers(14, 19)))))
        else:
            working.append(Interval(at(tz, day, start), at(tz, day, draw(st.integers(12, 19)))))
    week_start, week_end = at(tz, days[0], 0), at(tz, days[-1], 23, 45)
    requests: list[BlockRequest] = []
    for i in range(draw(st.integers(0, 5))):
        start = _slot(draw, tz, week)
        minutes = draw(st.sampled_from((15, 30, 45, 60, 90, 120)))
        requests.append(
            BlockRequest(
                key=f"fx{i}",
                rule=f"fixed{i % 2}",
                kind="lunch",
                title=f"Fixed {i}",
                minutes=minutes,
                earliest=start,
                latest=start + timedelta(minutes=minutes),
                fixed=True,
                min_chunk=draw(st.sampled_from((15, 30))),
                priority=draw(st.integers(0, 100)),
                protected=draw(st.booleans()),
                conflict_policy=draw(st.sampled_from(("keep", "yield"))),
                show_as=draw(st.sampled_from(("busy", "free", "auto"))),
            )
        )
    for i in range(draw(st.integers(0, 9))):
        first = draw(st.integers(0, 6))
        last = draw(st.integers(first, 6))
        earliest = at(tz, days[first], 0)
        latest = at(tz, days[last], 23, 45)
        preferred: tuple[Interval, ...] = ()
        if draw(st.booleans()):
            p_start = _slot(draw, tz, week, 7, 14)
            preferred = (Interval(p_start, p_start + timedelta(hours=draw(st.integers(1, 4)))),)
        requests.append(
            BlockRequest(
                key=f"fl{i}",
                rule=f"flex{i % 3}",
                kind="focus_time",
                title=f"Flex {i}",
                minutes=draw(st.sampled_from((15, 30, 45, 60, 90, 120, 180, 240, 300))),
                earliest=earliest,
                latest=latest,
                min_chunk=draw(st.sampled_from((15, 30, 60))),
                max_chunk=draw(st.sampled_from((None, 60, 90, 120))),
                preferred=preferred,
                priority=draw(st.integers(0, 100)),
                protected=draw(st.booleans()),
                conflict_policy=draw(st.sampled_from(("keep", "yield"))),
                show_as=draw(st.sampled_from(("busy", "free", "auto"))),
            )
        )
    busy: list[Busy] = []
    for i in range(draw(st.integers(0, 10))):
        start = _slot(draw, tz, week)
        busy.append(
            Busy(
                start=start,
                end=start + timedelta(minutes=draw(st.sampled_from((15, 30, 60, 90, 180)))),
                title=f"Meeting {i}",
                all_day=draw(st.booleans()) and draw(st.booleans()),
                transparent=draw(st.booleans()) and draw(st.booleans()),
                response=draw(st.sampled_from(("accepted", "declined", "none", "tentative"))),
            )
        )
    pins: list[Pin] = []
    taken: list[Interval] = []
    for req in requests:
        choice = draw(st.sampled_from(("none", "none", "dismiss", "move")))
        if choice == "dismiss":
            pins.append(Pin(req.key, dismissed=True))
        elif choice == "move":
            start = _slot(draw, tz, week)
            span = Interval(start, start + timedelta(minutes=draw(st.sampled_from((15, 30, 60)))))
            if not any(span.overlaps(t) for t in taken):
                taken.append(span)
                pins.append(Pin(req.key, span.start, span.end, title=f"Pinned {req.key}"))
    now = _slot(draw, tz, week) if draw(st.booleans()) else None
    spec = WeekSpec(week, tz, tuple(working), tuple(requests))
    assert week_start < week_end
    return Case(spec, tuple(busy), tuple(pins), now)


def _plan(case: Case, previous: tuple[Block, ...] = ()) -> Plan:
    return plan_week(case.spec, busy=case.busy, pins=case.pins, previous=previous, now=case.now)


def _pinned(case: Case) -> dict[str, Pin]:
    return {p.key: p for p in case.pins if not p.dismissed}


@SETTINGS
@given(cases())
def test_blocks_never_overlap_each_other(case: Case) -> None:
    timed = sorted((b for b in _plan(case).blocks if not b.all_day), key=lambda b: b.start)
    for a, b in pairwise(timed):
        assert a.end <= b.start, f"{a.key} overlaps {b.key}"


@SETTINGS
@given(cases())
def test_busy_overlap_only_for_recorded_protected_keep_or_pins(case: Case) -> None:
    plan = _plan(case)
    conflicts = {(c.key, c.meeting) for c in plan.conflicts}
    pinned = _pinned(case)
    for block in plan.blocks:
        for event in case.busy:
            if event.blocks_time and block.interval.overlaps(event.interval):
                assert (block.key, event.title) in conflicts
                assert block.key in pinned or (block.protected and block.conflict_policy == "keep")


@SETTINGS
@given(cases())
def test_unpinned_blocks_lie_inside_working_time(case: Case) -> None:
    pinned = _pinned(case)
    for block in _plan(case).blocks:
        if block.key in pinned:
            continue
        assert any(w.contains(block.interval) for w in case.spec.working), block


@SETTINGS
@given(cases())
def test_fixed_requests_are_exact_or_reported(case: Case) -> None:
    plan = _plan(case)
    short = {s.key for s in plan.shortfall}
    pinned = _pinned(case)
    for req in case.spec.requests:
        if not req.fixed or req.key in pinned:
            continue
        blocks = family(plan, req.key)
        exact = [(b.start, b.end) for b in blocks] == [
            (req.earliest, req.earliest + timedelta(minutes=req.minutes))
        ]
        assert exact or req.key in short
        assert len(blocks) <= 1


@SETTINGS
@given(cases())
def test_placed_plus_shortfall_is_requested(case: Case) -> None:
    plan = _plan(case)
    short = {s.key: s for s in plan.shortfall}
    pinned = {p.key for p in case.pins if not p.dismissed}
    for req in case.spec.requests:
        placed = sum(b.minutes for b in family(plan, req.key))
        if req.key in short:
            assert short[req.key].requested_minutes == req.minutes
            assert short[req.key].placed_minutes == placed < req.minutes
            assert short[req.key].reason
        elif req.key in pinned:
            assert placed >= req.minutes  # the user may stretch a block
        else:
            assert placed == req.minutes


@SETTINGS
@given(cases())
def test_chunks_respect_their_limits(case: Case) -> None:
    plan = _plan(case)
    pinned = _pinned(case)
    for req in case.spec.requests:
        if req.fixed:
            continue
        for block in family(plan, req.key):
            if block.key in pinned:
                continue
            assert block.minutes >= min(req.min_chunk, req.minutes)
            assert req.max_chunk is None or block.minutes <= req.max_chunk
            assert req.earliest <= block.start and block.end <= req.latest
            assert case.now is None or block.start >= case.now


@SETTINGS
@given(cases())
def test_deterministic(case: Case) -> None:
    assert _plan(case) == _plan(case)


@SETTINGS
@given(cases())
def test_replanning_an_unchanged_week_changes_nothing(case: Case) -> None:
    first = _plan(case)
    again = _plan(case, previous=first.blocks)
    assert again.blocks == first.blocks
    assert [(s.key, s.placed_minutes) for s in again.shortfall] == [
        (s.key, s.placed_minutes) for s in first.shortfall
    ]


@SETTINGS
@given(cases())
def test_pins_are_exact_and_dismissed_never_placed(case: Case) -> None:
    plan = _plan(case)
    keys = {b.key: b for b in plan.blocks}
    for pin in case.pins:
        if pin.dismissed:
            assert not family(plan, pin.key)
            assert any(s.key == pin.key and "dismissed by you" in s.reason for s in plan.shortfall)
        else:
            block = keys[pin.key]
            assert (block.start, block.end, block.title) == (pin.start, pin.end, pin.title)


@SETTINGS
@given(cases(), st.data())
def test_a_new_meeting_moves_only_what_it_lands_on_or_lower_priority(
    case: Case, data: st.DataObject
) -> None:
    """Blocks the meeting misses stay, unless a displaced block of higher
    priority found no free room and took the time of a lower-priority one."""
    first = _plan(case)
    if not first.blocks:
        return
    target = data.draw(st.sampled_from(first.blocks))
    if target.all_day:
        return
    landed = Busy(target.start, target.start + timedelta(minutes=15), title="QBR Globex")
    second = plan_week(
        case.spec,
        busy=(*case.busy, landed),
        pins=case.pins,
        previous=first.blocks,
        now=case.now,
    )
    priority = {r.key: r.priority for r in case.spec.requests}

    def prio(block: Block) -> int:
        return priority[block.key.partition("#")[0]]

    hit = [prio(b) for b in first.blocks if b.interval.overlaps(landed.interval)]
    after = {b.key: (b.start, b.end) for b in second.blocks}
    for block in first.blocks:
        if block.interval.overlaps(landed.interval):
            continue
        if after.get(block.key) != (block.start, block.end):
            assert not block.all_day and hit and prio(block) < max(hit), block.key
