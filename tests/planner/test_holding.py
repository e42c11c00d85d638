"""Holding windows (call window, QBR day): meetings inside them are the window working."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blocker.core.models import Busy, Pin
from blocker.planner import plan_week
from tests.planner.helpers import at, family, fixed, meeting, request, spec

TZ = "America/New_York"
WEEK = "2026-W49"
MON, TUE = date(2026, 11, 30), date(2026, 12, 1)


def t(day: date, hour: int, minute: int = 0):  # type: ignore[no-untyped-def]
    return at(TZ, day, hour, minute)


def window(key: str = "calls:tue", minutes: int = 120, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("show_as", "free")
    return fixed(key, t(TUE, 13, 30), minutes, holding=True, **kw)


def test_window_is_cut_around_the_meetings_it_holds_with_no_shortfall() -> None:
    busy = [
        meeting(t(TUE, 13, 30), 30, "Globex check-in"),
        meeting(t(TUE, 14), 30, "Initech check-in"),
        meeting(t(TUE, 15), 30, "Umbrella check-in"),
    ]
    plan = plan_week(spec(WEEK, TZ, [window()]), busy=busy)
    pieces = family(plan, "calls:tue")
    assert [(b.key, b.start, b.end) for b in pieces] == [
        ("calls:tue", t(TUE, 14, 30), t(TUE, 15)),
    ]
    assert pieces[0].show_as == "free"
    assert plan.shortfall == ()
    assert plan.conflicts == ()


def test_several_pieces_get_numbered_keys_in_time_order() -> None:
    busy = [meeting(t(TUE, 14), 30, "Globex check-in")]
    plan = plan_week(spec(WEEK, TZ, [window()]), busy=busy)
    assert [(b.key, b.start, b.end) for b in family(plan, "calls:tue")] == [
        ("calls:tue", t(TUE, 13, 30), t(TUE, 14)),
        ("calls:tue#1", t(TUE, 14, 30), t(TUE, 15, 30)),
    ]
    assert plan.shortfall == ()


def test_a_fully_booked_window_has_no_block_and_no_shortfall() -> None:
    busy = [meeting(t(TUE, 13), 180, "Soylent QBR")]
    plan = plan_week(spec(WEEK, TZ, [window()]), busy=busy)
    assert plan.blocks == ()
    assert plan.shortfall == ()


def test_slivers_between_meetings_are_held_not_placed() -> None:
    busy = [meeting(t(TUE, 13, 30), 50, "A"), meeting(t(TUE, 14, 30), 60, "B")]
    plan = plan_week(spec(WEEK, TZ, [window(min_chunk=15)]), busy=busy)
    # 14:20-14:30 is a 10-min sliver; 15:30 is the window's end
    assert plan.blocks == ()
    assert plan.shortfall == ()


def test_an_ordinary_fixed_request_is_still_cut_and_reported() -> None:
    busy = [meeting(t(TUE, 14), 30, "Globex check-in")]
    plain = fixed("calls:tue", t(TUE, 13, 30), 120)
    plan = plan_week(spec(WEEK, TZ, [plain]), busy=busy)
    assert len(plan.blocks) == 1
    assert plan.shortfall[0].reason == "'Globex check-in' at Tue 14:00 takes this time"


def test_time_lost_to_a_pin_is_still_a_shortfall() -> None:
    other = request("review", 30, t(MON, 9), t(TUE, 17))
    pin = Pin("review", t(TUE, 13, 30), t(TUE, 14), title="Review")
    plan = plan_week(spec(WEEK, TZ, [window(), other]), pins=[pin])
    assert [(b.start, b.end) for b in family(plan, "calls:tue")] == [(t(TUE, 14), t(TUE, 15, 30))]
    (short,) = plan.shortfall
    assert (short.key, short.requested_minutes, short.placed_minutes) == ("calls:tue", 120, 90)
    assert short.reason == "'Review' (another block) takes this time"


def test_past_part_is_held_and_a_previous_piece_stays() -> None:
    busy = [meeting(t(TUE, 14), 30, "Globex check-in")]
    first = plan_week(spec(WEEK, TZ, [window()]), busy=busy)
    later = plan_week(
        spec(WEEK, TZ, [window()]), busy=busy, previous=first.blocks, now=t(TUE, 13, 45)
    )
    assert later.blocks == first.blocks
    assert later.shortfall == ()
    fresh = plan_week(spec(WEEK, TZ, [window()]), busy=busy, now=t(TUE, 13, 45))
    assert [(b.start, b.end) for b in fresh.blocks] == [
        (t(TUE, 13, 45), t(TUE, 14)),
        (t(TUE, 14, 30), t(TUE, 15, 30)),
    ]
    assert fresh.shortfall == ()


def test_a_dismissed_piece_stays_gone() -> None:
    busy = [meeting(t(TUE, 14), 30, "Globex check-in")]
    first = plan_week(spec(WEEK, TZ, [window()]), busy=busy)
    pins = [Pin("calls:tue#1", dismissed=True)]
    plan = plan_week(spec(WEEK, TZ, [window()]), busy=busy, pins=pins, previous=first.blocks)
    assert [b.key for b in plan.blocks] == ["calls:tue"]
    (short,) = plan.shortfall
    assert short.reason == "dismissed by you"
    assert short.placed_minutes == 120 - 60


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(12 * 4, 17 * 4), st.sampled_from((15, 30, 45, 60, 90))),
        max_size=6,
    )
)
def test_pieces_never_overlap_meetings_and_cover_all_long_free_parts(
    raw: list[tuple[int, int]],
) -> None:
    busy = [
        Busy(t(TUE, q // 4, q % 4 * 15), t(TUE, q // 4, q % 4 * 15) + timedelta(minutes=m))
        for q, m in raw
    ]
    req = window(min_chunk=30)
    plan = plan_week(spec(WEEK, TZ, [req]), busy=busy)
    pieces = family(plan, "calls:tue")
    assert plan.shortfall == ()
    for block in pieces:
        assert block.minutes >= 30
        assert req.earliest <= block.start and block.end <= req.latest
        assert not any(block.interval.overlaps(b.interval) for b in busy)
    assert [b.key for b in pieces] == [
        "calls:tue" if i == 0 else f"calls:tue#{i}" for i in range(len(pieces))
    ]
    # every free run of 30+ min inside the window is held by a piece, exactly
    quarters = [req.earliest + timedelta(minutes=15 * i) for i in range(8)]
    free = [q for q in quarters if not any(b.start <= q < b.end for b in busy)]
    runs: list[list[object]] = []
    for q in free:
        if runs and runs[-1][-1] == q - timedelta(minutes=15):
            runs[-1].append(q)
        else:
            runs.append([q])
    long_runs = [(r[0], r[-1] + timedelta(minutes=15)) for r in runs if len(r) >= 2]
    assert [(b.start, b.end) for b in pieces] == long_runs
    again = plan_week(spec(WEEK, TZ, [req]), busy=busy, previous=plan.blocks)
    assert again.blocks == plan.blocks


def test_a_window_taken_whole_earlier_does_not_come_back_on_its_own_morning() -> None:
    """A higher-priority block took the whole window when the week was planned; on
    the window's day that block is kept first (today's blocks stay put), and the part
    of the window it leaves is not re-created: that was a write with no cause
    (jordan-nyc W11, a QBR window beside made-up focus)."""
    focus = fixed("focus", t(TUE, 12, 45), 75, priority=80)
    other = request("other", 30, t(MON, 9), t(MON, 17), priority=50)
    earlier = plan_week(spec(WEEK, TZ, [other]))  # the week's plan, no window piece
    assert family(earlier, "calls:tue") == []
    flexible_focus = request("focus", 75, t(TUE, 12, 45), t(TUE, 14), priority=80)
    previous = [*earlier.blocks, *plan_week(spec(WEEK, TZ, [focus])).blocks]
    today = {"now": t(TUE, 7), "stability_until": t(TUE, 23, 59)}
    plan = plan_week(spec(WEEK, TZ, [window(), flexible_focus, other]), previous=previous, **today)
    assert family(plan, "calls:tue") == []  # 14:00-15:30 is free, yet not re-created
    # the day before, the window is placed as usual (fixed, ahead of kept blocks)
    monday = {"now": t(MON, 7), "stability_until": t(MON, 23, 59)}
    plan = plan_week(spec(WEEK, TZ, [window(), flexible_focus, other]), previous=previous, **monday)
    assert family(plan, "calls:tue") != []
    # and at generation (no previous plan) the window is placed around the focus
    fresh = plan_week(spec(WEEK, TZ, [window(), flexible_focus, other]))
    assert family(fresh, "calls:tue") != []
