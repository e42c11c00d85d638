"""Example tests: the planner's behaviour on small hand-made weeks."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from blocker.core.models import Block, Conflict, Interval, Pin
from blocker.planner import plan_week
from tests.planner.helpers import at, by_key, family, fixed, meeting, request, spec, working

TZ = "America/New_York"
WEEK = "2026-W49"  # Mon 2026-11-30 .. Sun 2026-12-06, no DST change
MON, TUE, WED = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)
START, END = at(TZ, MON, 0), at(TZ, date(2026, 12, 5), 0)


def t(day: date, hour: int, minute: int = 0):  # type: ignore[no-untyped-def]
    return at(TZ, day, hour, minute)


def test_fixed_request_is_placed_exactly() -> None:
    lunch = fixed("lunch:mon", t(MON, 12), 60, show_as="auto")
    plan = plan_week(spec(WEEK, TZ, [lunch]))
    block = by_key(plan)["lunch:mon"]
    assert (block.start, block.end) == (t(MON, 12), t(MON, 13))
    assert block.show_as == "busy"  # a fixed block cannot move, so auto means busy
    assert not block.flexible
    assert plan.shortfall == ()


def test_fixed_request_on_a_meeting_is_cut_and_names_the_meeting() -> None:
    calls = fixed("calls:tue", t(TUE, 13), 120, min_chunk=30)
    qbr = meeting(t(TUE, 14), 60, "QBR Globex")
    plan = plan_week(spec(WEEK, TZ, [calls]), busy=[qbr])
    block = by_key(plan)["calls:tue"]
    assert (block.start, block.end) == (t(TUE, 13), t(TUE, 14))
    (short,) = plan.shortfall
    assert (short.requested_minutes, short.placed_minutes) == (120, 60)
    assert short.reason == "'QBR Globex' at Tue 14:00 takes this time"


def test_fixed_request_not_placed_when_the_free_part_is_too_short() -> None:
    calls = fixed("calls:tue", t(TUE, 13, 45), 60, min_chunk=30)
    plan = plan_week(spec(WEEK, TZ, [calls]), busy=[meeting(t(TUE, 14), 60, "QBR Globex")])
    assert plan.blocks == ()
    assert plan.shortfall[0].placed_minutes == 0
    assert "'QBR Globex' at Tue 14:00" in plan.shortfall[0].reason


def test_protected_fixed_keep_stays_and_records_a_conflict() -> None:
    focus = fixed("focus:tue", t(TUE, 9), 120, protected=True, conflict_policy="keep")
    sync = meeting(t(TUE, 10), 30, "Escalation sync")
    plan = plan_week(spec(WEEK, TZ, [focus]), busy=[sync])
    block = by_key(plan)["focus:tue"]
    assert (block.start, block.end) == (t(TUE, 9), t(TUE, 11))
    assert plan.conflicts == (Conflict("focus:tue", "Escalation sync", t(TUE, 10), t(TUE, 10, 30)),)
    assert plan.shortfall == ()


def test_protected_fixed_yield_gives_way() -> None:
    focus = fixed("focus:tue", t(TUE, 9), 120, protected=True, conflict_policy="yield")
    plan = plan_week(spec(WEEK, TZ, [focus]), busy=[meeting(t(TUE, 9), 30, "Escalation sync")])
    block = by_key(plan)["focus:tue"]
    assert (block.start, block.end) == (t(TUE, 9, 30), t(TUE, 11))
    assert plan.conflicts == ()
    assert plan.shortfall[0].reason == "'Escalation sync' at Tue 09:00 takes this time"


def test_fixed_outside_working_hours_or_in_the_past_is_reported() -> None:
    early = fixed("early:tue", t(TUE, 7), 30)
    past = fixed("standup:mon", t(MON, 10), 30)
    plan = plan_week(spec(WEEK, TZ, [early, past]), now=t(MON, 11))
    assert plan.blocks == ()
    reasons = {s.key: s.reason for s in plan.shortfall}
    assert reasons == {"early:tue": "outside working hours", "standup:mon": "already past"}


def test_only_time_blocking_events_block_time() -> None:
    req = request("review", 60, t(MON, 9), t(MON, 10))
    for soft in (
        meeting(t(MON, 0), 24 * 60, "Holiday", all_day=True, transparent=True),
        meeting(t(MON, 9), 60, "FYI", transparent=True),
        meeting(t(MON, 9), 60, "Declined", response="declined"),
    ):
        plan = plan_week(spec(WEEK, TZ, [req]), busy=[soft])
        assert [(b.start, b.end) for b in plan.blocks] == [(t(MON, 9), t(MON, 10))]
    for busy in (
        meeting(t(MON, 9), 60, "Accepted"),
        meeting(t(MON, 0), 24 * 60, "Offsite", all_day=True, response="accepted"),
    ):
        hard = plan_week(spec(WEEK, TZ, [req]), busy=[busy])
        assert hard.blocks == ()
        assert hard.shortfall[0].reason.startswith("only 0 of 60 min fit")


def test_flexible_prefers_its_preferred_window_then_earliest_fit() -> None:
    pref = request(
        "deep", 90, START, END, preferred=(Interval(t(WED, 9), t(WED, 12)),), min_chunk=30
    )
    plain = request("admin", 30, START, END)
    plan = plan_week(spec(WEEK, TZ, [pref, plain]), busy=[meeting(t(MON, 9), 30, "Standup")])
    blocks = by_key(plan)
    assert (blocks["deep"].start, blocks["deep"].end) == (t(WED, 9), t(WED, 10, 30))
    assert (blocks["admin"].start, blocks["admin"].end) == (t(MON, 9, 30), t(MON, 10))


def test_higher_priority_wins_the_only_slot_and_ties_break_by_key() -> None:
    day = spec(WEEK, TZ, [], working=(Interval(t(MON, 9), t(MON, 10)),))
    low = request("a-low", 60, START, END, priority=10)
    high = request("z-high", 60, START, END, priority=90)
    plan = plan_week(spec(WEEK, TZ, [low, high], working=day.working))
    assert [b.key for b in plan.blocks] == ["z-high"]
    tie = plan_week(
        spec(WEEK, TZ, [high, request("b", 60, START, END, priority=90)], working=day.working)
    )
    assert [b.key for b in tie.blocks] == ["b"]


def test_split_chunks_respect_limits_and_get_numbered_keys() -> None:
    focus = request("focus", 240, START, END, min_chunk=60, max_chunk=120, protected=True)
    plan = plan_week(spec(WEEK, TZ, [focus]))
    chunks = family(plan, "focus")
    assert [b.key for b in chunks] == ["focus", "focus#1"]
    assert [b.minutes for b in chunks] == [120, 120]
    assert chunks[0].end < chunks[1].start  # not glued into one 4 h block
    assert all(b.protected and b.flexible for b in chunks)


def test_split_leaves_no_unplaceable_remainder() -> None:
    req = request("prep", 80, START, END, min_chunk=30, max_chunk=60)
    plan = plan_week(spec(WEEK, TZ, [req]))
    assert sorted(b.minutes for b in plan.blocks) == [30, 50]
    assert plan.shortfall == ()


def test_encroaching_meeting_moves_only_the_block_it_lands_on() -> None:
    reqs = [
        request("review", 60, START, END, priority=90),
        request("renewal:acme", 60, START, END, priority=80),
        request("book", 60, START, END, priority=70),
    ]
    first = plan_week(spec(WEEK, TZ, reqs))
    assert [(b.key, b.start) for b in first.blocks] == [
        ("review", t(MON, 9)),
        ("renewal:acme", t(MON, 10)),
        ("book", t(MON, 11)),
    ]
    qbr = meeting(t(MON, 10, 15), 30, "QBR Globex")
    second = plan_week(spec(WEEK, TZ, reqs), busy=[qbr], previous=first.blocks)
    moved = by_key(second)["renewal:acme"]
    assert not moved.interval.overlaps(qbr.interval)
    assert (moved.start, moved.end) == (t(MON, 12), t(MON, 13))
    assert by_key(second)["review"] == by_key(first)["review"]
    assert by_key(second)["book"] == by_key(first)["book"]


def test_encroached_block_with_no_room_left_names_the_meeting() -> None:
    hour = (Interval(t(MON, 9), t(MON, 10)),)
    req = request("renewal:acme", 60, START, END)
    first = plan_week(spec(WEEK, TZ, [req], working=hour))
    qbr = meeting(t(MON, 9), 60, "QBR Globex")
    second = plan_week(spec(WEEK, TZ, [req], working=hour), busy=[qbr], previous=first.blocks)
    assert second.blocks == ()
    assert second.shortfall[0].reason.startswith("'QBR Globex' at Mon 09:00 took its time; ")


@pytest.mark.parametrize(("policy", "moves"), [("keep", False), ("yield", True)])
def test_protected_flexible_block_follows_its_conflict_policy(policy: str, moves: bool) -> None:
    focus = request("focus", 120, START, END, protected=True, conflict_policy=policy)
    first = plan_week(spec(WEEK, TZ, [focus]))
    escalation = meeting(t(MON, 10), 30, "Escalation")
    second = plan_week(spec(WEEK, TZ, [focus]), busy=[escalation], previous=first.blocks)
    block = by_key(second)["focus"]
    assert block.interval.overlaps(escalation.interval) is not moves
    assert bool(second.conflicts) is not moves
    if not moves:
        assert second.conflicts[0].meeting == "Escalation"


def test_nothing_new_before_now_but_past_blocks_stay() -> None:
    reqs = [request("review", 60, START, END), request("book", 60, START, END)]
    first = plan_week(spec(WEEK, TZ, reqs[:1]))
    assert by_key(first)["review"].start == t(MON, 9)
    second = plan_week(spec(WEEK, TZ, reqs), previous=first.blocks, now=t(MON, 9, 20))
    assert by_key(second)["review"].start == t(MON, 9)  # kept: not new
    assert by_key(second)["book"].start == t(MON, 10)  # new: not before now


def test_stability_horizon_keeps_todays_block_over_a_higher_priority_one() -> None:
    low = request("low", 60, START, END, priority=10)
    high = request("high", 60, START, END, priority=90)
    previous = (
        Block("low", "low", "low", "low", t(MON, 9), t(MON, 10)),
        Block("high", "high", "high", "high", t(MON, 9, 30), t(MON, 10, 30)),
    )
    reqs = [low, high]
    quiet = plan_week(spec(WEEK, TZ, reqs), previous=previous, stability_until=t(MON, 9, 15))
    assert by_key(quiet)["low"].start == t(MON, 9)
    assert by_key(quiet)["high"].start == t(MON, 10)
    usual = plan_week(spec(WEEK, TZ, reqs), previous=previous)
    assert by_key(usual)["high"].start == t(MON, 9, 30)
    assert by_key(usual)["low"].start == t(MON, 10, 30)


def test_show_as_auto_is_free_only_while_twice_its_length_remains_later() -> None:
    roomy = request("a", 60, t(MON, 9), t(MON, 12), show_as="auto")
    tight = request("b", 60, t(TUE, 9), t(TUE, 11, 30), show_as="auto")
    plan = plan_week(spec(WEEK, TZ, [roomy, tight]))
    assert by_key(plan)["a"].show_as == "free"  # 10:00-12:00 free after it: exactly 2x
    assert by_key(plan)["b"].show_as == "busy"  # 10:00-11:30: 1.5x
    crowded = plan_week(spec(WEEK, TZ, [roomy]), busy=[meeting(t(MON, 11), 15, "Call")])
    assert by_key(crowded)["a"].show_as == "busy"
    passthrough = request("c", 60, START, END, show_as="free")
    assert plan_week(spec(WEEK, TZ, [passthrough])).blocks[0].show_as == "free"


def test_pins_move_retitle_and_dismiss() -> None:
    reqs = [request("review", 60, START, END), request("book", 60, START, END)]
    moved = Pin("review", t(TUE, 15), t(TUE, 16), title="Review (after QBR)")
    plan = plan_week(spec(WEEK, TZ, reqs), pins=[moved, Pin("book", dismissed=True)])
    review = by_key(plan)["review"]
    assert (review.start, review.end, review.title) == (
        t(TUE, 15),
        t(TUE, 16),
        "Review (after QBR)",
    )
    assert "book" not in by_key(plan)
    (short,) = plan.shortfall
    assert (short.key, short.placed_minutes, short.reason) == ("book", 0, "dismissed by you")
    retitled = plan_week(spec(WEEK, TZ, reqs), pins=[Pin("book", title="Book of business")])
    assert by_key(retitled)["book"].title == "Book of business"


def test_pinned_time_is_taken_for_others() -> None:
    reqs = [request("review", 60, START, END), request("book", 60, START, END, priority=90)]
    plan = plan_week(spec(WEEK, TZ, reqs), pins=[Pin("review", t(MON, 9), t(MON, 10))])
    assert by_key(plan)["book"].start == t(MON, 10)


def test_dismissing_one_chunk_keeps_the_rest_and_does_not_replace_it() -> None:
    focus = request("focus", 240, START, END, min_chunk=60, max_chunk=120)
    first = plan_week(spec(WEEK, TZ, [focus]))
    second = plan_week(
        spec(WEEK, TZ, [focus]), previous=first.blocks, pins=[Pin("focus#1", dismissed=True)]
    )
    assert [b.key for b in second.blocks] == ["focus"]
    assert by_key(second)["focus"] == by_key(first)["focus"]
    (short,) = second.shortfall
    assert (short.placed_minutes, short.reason) == (120, "dismissed by you")


def test_all_day_markers_neither_take_time_nor_are_blocked() -> None:
    marker = request(
        "golive:acme", 1440, t(TUE, 0), at(TZ, WED, 0), all_day=True, title="Go-live Acme"
    )
    review = request("review", 60, t(TUE, 9), t(TUE, 10))
    plan = plan_week(
        spec(WEEK, TZ, [marker, review]),
        busy=[
            meeting(t(TUE, 0), 60 * 24, "Team day (FYI)", all_day=True, transparent=True),
            meeting(t(TUE, 12), 60, "Lunch with Acme"),
        ],
    )
    blocks = by_key(plan)
    assert blocks["golive:acme"].all_day
    assert (blocks["golive:acme"].start, blocks["golive:acme"].end) == (t(TUE, 0), at(TZ, WED, 0))
    assert (blocks["review"].start, blocks["review"].end) == (t(TUE, 9), t(TUE, 10))
    assert plan.shortfall == ()


def test_new_york_fall_back_week_2026_w44() -> None:
    """Clocks go back on Sun 2026-11-01 02:00: that night 00:00-06:00 is 7 real hours."""
    tz, sunday = "America/New_York", date(2026, 11, 1)
    night = (Interval(at(tz, sunday, 0), at(tz, sunday, 6)),)
    night_shift = request("ops", 7 * 60, at(tz, sunday, 0), at(tz, sunday, 6))
    plan = plan_week(spec("2026-W44", tz, [night_shift], working=night))
    (block,) = plan.blocks
    assert block.minutes == 420
    assert (block.start.utcoffset(), block.end.utcoffset()) == (
        timedelta(hours=-4),
        timedelta(hours=-5),
    )
    after = fixed("review:sun", at(tz, sunday, 4), 60)
    day = plan_week(spec("2026-W44", tz, [after], working=night))
    assert day.blocks[0].start.astimezone(UTC).hour == 9  # 04:00 EST = 09:00 UTC
    over = request("ops", 7 * 60 + 15, at(tz, sunday, 0), at(tz, sunday, 6))
    (short,) = plan_week(spec("2026-W44", tz, [over], working=night)).shortfall
    assert (short.requested_minutes, short.placed_minutes) == (435, 420)


def test_berlin_fall_back_week_2026_w43() -> None:
    """Clocks go back on Sun 2026-10-25 03:00: 01:00-04:00 local is 4 real hours."""
    tz, sunday = "Europe/Berlin", date(2026, 10, 25)
    night = (Interval(at(tz, sunday, 1), at(tz, sunday, 4)),)
    reqs = [request(f"r{i}", 60, at(tz, sunday, 0), at(tz, sunday, 5)) for i in range(5)]
    plan = plan_week(spec("2026-W43", tz, reqs, working=night))
    assert len(plan.blocks) == 4  # four hours fit, not three
    assert [s.key for s in plan.shortfall] == ["r4"]
    starts = [b.start.strftime("%H:%M %z") for b in plan.blocks]
    assert starts == ["01:00 +0200", "02:00 +0200", "02:00 +0100", "03:00 +0100"]


def test_berlin_sunday_after_the_change_is_on_cet() -> None:
    tz, sunday = "Europe/Berlin", date(2026, 10, 25)
    whole_week = working("2026-W43", tz, hours=((9, 17),), days=7)
    weekly = request("weekly", 60, at(tz, sunday, 0), at(tz, date(2026, 10, 26), 0))
    plan = plan_week(spec("2026-W43", tz, [weekly], working=whole_week))
    assert plan.blocks[0].start.strftime("%a %H:%M %z") == "Sun 09:00 +0100"
    assert plan.blocks[0].minutes == 60


def test_displaced_high_priority_block_takes_a_lower_priority_ones_time() -> None:
    two_hours = (Interval(t(MON, 9), t(MON, 11)),)
    focus = request("focus", 60, START, END, priority=90, title="Focus")
    admin = request("admin", 60, START, END, priority=10, title="Admin")
    first = plan_week(spec(WEEK, TZ, [focus, admin], working=two_hours))
    assert [(b.key, b.start) for b in first.blocks] == [("focus", t(MON, 9)), ("admin", t(MON, 10))]
    qbr = meeting(t(MON, 9), 60, "QBR Globex")
    second = plan_week(
        spec(WEEK, TZ, [focus, admin], working=two_hours), busy=[qbr], previous=first.blocks
    )
    assert [(b.key, b.start) for b in second.blocks] == [("focus", t(MON, 10))]
    (short,) = second.shortfall
    assert short.key == "admin"
    assert short.reason.startswith("its time went to 'Focus' (higher priority); only 0 of 60")
    quiet = plan_week(
        spec(WEEK, TZ, [focus, admin], working=two_hours),
        busy=[qbr],
        previous=first.blocks,
        stability_until=t(MON, 11),
    )
    assert [(b.key, b.start) for b in quiet.blocks] == [("admin", t(MON, 10))]
    assert quiet.shortfall[0].key == "focus"
    assert quiet.shortfall[0].reason.startswith("'QBR Globex' at Mon 09:00 took its time")
