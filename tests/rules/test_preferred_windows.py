"""Several preferred windows for one rule, tried in the order the user wrote them."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from blocker.core.models import BlockRequest, Busy
from blocker.planner import plan_week
from rules import expand_week
from rules.timeparse import TimeRange, parse_windows
from tests.rules.util import problems_of, rules_from

NY = ZoneInfo("America/New_York")
WEEK = "2026-W49"  # Mon 30 Nov .. Fri 4 Dec 2026
TODAY = date(2026, 11, 27)
DST_WEEK = "2026-W44"  # Mon 26 Oct .. Sun 1 Nov 2026: New York leaves DST on the Sunday

TWO = """\
rules:
  - kind: focus_time
    hours: 4
    min_chunk: 60
    max_chunk: 120
    preferred: [{start: "09:00", end: "11:00"}, {start: "14:00", end: "16:00"}]
"""


def focus(body: str, week: str = WEEK) -> BlockRequest:
    spec = expand_week(rules_from(body), week, today=TODAY)
    [req] = [r for r in spec.requests if r.kind == "focus_time"]
    return req


def t(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("09:00-11:00", [(9, 11)]),
        (["09:00", "11:00"], [(9, 11)]),  # the old two-item spelling is one window
        ({"start": "09:00", "end": "11:00"}, [(9, 11)]),
        (["09:00-11:00", "14:00-16:00"], [(9, 11), (14, 16)]),
        ([["14:00", "16:00"], {"start": "9:00", "end": "11:00"}], [(14, 16), (9, 11)]),
        (None, []),
    ],
)
def test_one_window_or_a_list_in_order(raw: object, expected: list[tuple[int, int]]) -> None:
    assert parse_windows(raw) == tuple(TimeRange(time(a), time(b)) for a, b in expected)


def test_the_single_window_spelling_still_gives_one_unranked_window() -> None:
    req = focus("rules:\n  - kind: focus_time\n    preferred: '09:30-12:00'\n")
    assert [(p.start, p.end) for p in req.preferred][:1] == [
        (t(date(2026, 11, 30), 9, 30), t(date(2026, 11, 30), 12))
    ]
    assert req.preferred_rank == ()


def test_two_windows_rank_every_day_first_choice_before_the_second() -> None:
    req = focus(TWO)
    monday = date(2026, 11, 30)
    assert len(req.preferred) == 10 and req.preferred_rank == (0,) * 5 + (1,) * 5
    assert (req.preferred[0].start, req.preferred[0].end) == (t(monday, 9), t(monday, 11))
    assert (req.preferred[5].start, req.preferred[5].end) == (t(monday, 14), t(monday, 16))


def test_the_planner_fills_the_first_window_then_the_second_and_says_why() -> None:
    spec = expand_week(
        rules_from(TWO + "working_hours: {sat: null, sun: null}\n"), WEEK, today=TODAY
    )
    # every morning window is taken by a meeting except Monday's
    busy = [
        Busy(start=t(day, 9), end=t(day, 11), title=f"Standup {day:%a}")
        for day in (date(2026, 12, d) for d in (1, 2, 3, 4))
    ]
    plan = plan_week(spec, busy=busy)
    focus_blocks = sorted((b for b in plan.blocks if b.kind == "focus_time"), key=lambda b: b.start)
    assert [(b.start, b.end) for b in focus_blocks] == [
        (t(date(2026, 11, 30), 9), t(date(2026, 11, 30), 11)),
        (t(date(2026, 11, 30), 14), t(date(2026, 11, 30), 16)),
    ]
    first, second = focus_blocks
    assert "choice" not in first.reason
    assert second.reason.endswith("in its choice #2 window: 09:00-11:00 had no room")
    assert not [s for s in plan.shortfall if s.rule == "focus_time"]


def test_no_room_in_any_window_is_said_plainly() -> None:
    spec = expand_week(rules_from(TWO), WEEK, today=TODAY)
    week_days = [date(2026, 11, 30)] + [date(2026, 12, d) for d in (1, 2, 3, 4)]
    busy = [Busy(start=t(d, 9), end=t(d, 16), title="Training") for d in week_days]
    plan = plan_week(spec, busy=busy)
    blocks = [b for b in plan.blocks if b.kind == "focus_time"]
    assert blocks and all(
        b.start.astimezone(NY).hour >= 16 or b.end.astimezone(NY).hour <= 9 for b in blocks
    )
    assert all(
        b.reason.endswith("outside its preferred time (09:00-11:00 or 14:00-16:00): no room there")
        for b in blocks
    )


def test_ranked_windows_in_a_dst_change_week_keep_their_wall_clock_times() -> None:
    req = focus(TWO, DST_WEEK)
    friday = date(2026, 10, 30)
    firsts = [
        (p.start, p.end) for p, r in zip(req.preferred, req.preferred_rank, strict=True) if r == 0
    ]
    assert firsts[-1] == (t(friday, 9), t(friday, 11))
    assert t(friday, 9).utcoffset() == t(date(2026, 10, 26), 9).utcoffset()
    plan = plan_week(expand_week(rules_from(TWO), DST_WEEK, today=TODAY))
    starts = sorted(b.start.astimezone(NY).time() for b in plan.blocks if b.kind == "focus_time")
    assert starts and all(s == time(9) for s in starts)


@pytest.mark.parametrize(
    ("preferred", "message"),
    [
        ('["09:00-11:00", "10:00-12:00"]', "window #2 10:00-12:00 overlaps 09:00-11:00"),
        ('["09:00-11:00", "9am"]', "window #2: expected a window like"),
        ("[]", "expected at least one window"),
    ],
)
def test_bad_window_lists_are_located_errors(preferred: str, message: str) -> None:
    text = f"timezone: UTC\nrules:\n  - kind: focus_time\n    preferred: {preferred}\n"
    [problem] = problems_of(text)
    assert (problem.line, problem.column) == (4, 16)
    assert message in problem.message


def test_a_trigger_off_its_preferred_days_names_the_days() -> None:
    body = """\
    rules:
      - {kind: health_drop, below: 50, minutes: 45, prefer_days: 2}
    """
    spec = expand_week(rules_from(body), WEEK, today=TODAY)
    monday, tuesday = date(2026, 11, 30), date(2026, 12, 1)
    busy = [
        Busy(start=t(d, 8, 30), end=t(d, 17, 30), title="Offsite prep") for d in (monday, tuesday)
    ]
    plan = plan_week(spec, busy=busy)
    blocks = [b for b in plan.blocks if b.kind == "health_drop"]  # Globex and Initech
    assert len(blocks) == 2
    for block in blocks:
        assert block.start.astimezone(NY).date() == date(2026, 12, 2)
        assert block.reason.endswith("; outside its preferred days (Mon, Tue): no room there")
