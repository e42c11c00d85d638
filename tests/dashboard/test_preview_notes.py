"""The plain words a preview says when a preferred window cannot hold what a rule asks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from blocker.core.models import Block, BlockRequest, Busy, Interval, Plan, WeekSpec
from blocker.web.preview_notes import hours, window_notes

NY = ZoneInfo("America/New_York")
WEEK = "2026-W49"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` days after Monday 2026-11-30, at ``hour:minute`` in New York."""
    monday = datetime(2026, 11, 30, hour, minute, tzinfo=NY)
    return monday + timedelta(days=day)


def focus_spec(minutes: int, windows: list[Interval]) -> WeekSpec:
    request = BlockRequest(
        key="focus_time/2026-11-30/0",
        rule="focus_time",
        kind="focus_time",
        title="Focus time",
        minutes=minutes,
        earliest=at(0, 8),
        latest=at(4, 18),
        preferred=tuple(windows),
    )
    return WeekSpec(week=WEEK, timezone="America/New_York", working=(), requests=(request,))


def block(key: str, start: datetime, end: datetime) -> Block:
    return Block(key, "focus_time", "focus_time", "Busy · Focus time", start, end)


def test_meetings_in_the_window_and_time_placed_elsewhere_are_said_with_their_amounts() -> None:
    windows = [Interval(at(1, 13), at(1, 17)), Interval(at(2, 13), at(2, 17))]  # 8 h
    spec = focus_spec(240, windows)
    meetings = (
        Busy(at(1, 13), at(1, 16)),
        Busy(at(1, 15), at(1, 17)),  # overlaps the first: counted once
        Busy(at(2, 13), at(2, 16, 30)),
        Busy(at(2, 16, 30), at(2, 17), transparent=True),  # shown free: not a meeting here
    )
    plan = Plan(
        WEEK,
        "America/New_York",
        (
            block("f#0", at(2, 16, 30), at(2, 17, 30)),  # 30 min inside, 30 outside
            block("f#1", at(3, 9), at(3, 11)),  # elsewhere
        ),
    )
    (note,) = window_notes(spec, plan, meetings, NY)
    assert note == (
        "Focus time: you asked for 4 h in 13:00–17:00; 30 min fits there this week. "
        "Meetings take 7.5 h of those hours. 2.5 h is placed elsewhere in your working hours. "
        "1 h finds no place at all this week."
    )


def test_a_window_that_holds_everything_needs_no_note() -> None:
    spec = focus_spec(120, [Interval(at(1, 13), at(1, 17))])
    plan = Plan(WEEK, "America/New_York", (block("f#0", at(1, 13), at(1, 15)),))
    assert window_notes(spec, plan, (), NY) == []


def test_hours_read_as_people_say_them() -> None:
    assert [hours(m) for m in (30, 60, 90, 125)] == ["30 min", "1 h", "1.5 h", "2.1 h"]
