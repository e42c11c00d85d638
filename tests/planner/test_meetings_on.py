"""Week.meetings_on bisects the busy list; it must answer exactly as a full scan does.

Long entries (all-day, multi-day) are drawn on purpose: they start before shorter
meetings yet reach past them, the case a bisection on starts alone gets wrong.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from blocker.core.models import Busy, WeekSpec
from blocker.core.weeks import week_dates
from blocker.planning.state import Week
from blocker.planning.timeline import overlaps, to_seconds
from tests.planner.helpers import at, working

TZ = "Europe/Berlin"
WEEK = "2026-W13"  # holds the spring DST change: local hours are not all 3600 s apart
MONDAY = at(TZ, week_dates(WEEK)[0], 0)
QUARTERS = 7 * 24 * 4


@st.composite
def busy_entries(draw: st.DrawFn) -> Busy:
    start = draw(st.integers(0, QUARTERS - 1))
    length = draw(st.one_of(st.integers(0, 16), st.sampled_from((96, 192, 480))))
    return Busy(
        start=MONDAY + timedelta(minutes=15 * start),
        end=MONDAY + timedelta(minutes=15 * (start + length)),
        title=draw(st.sampled_from(("1:1", "Stand-up", "Offsite"))),
        all_day=length >= 96,
        response=draw(st.sampled_from(("accepted", "accepted", "declined"))),
    )


spans = st.tuples(st.integers(-8, QUARTERS + 8), st.integers(0, 40)).map(
    lambda q: (
        to_seconds(MONDAY + timedelta(minutes=15 * q[0])),
        to_seconds(MONDAY + timedelta(minutes=15 * (q[0] + q[1]))),
    )
)


@settings(max_examples=200, deadline=None)
@given(st.lists(busy_entries(), max_size=30), st.lists(spans, min_size=1, max_size=20))
def test_meetings_on_matches_a_full_scan(busy: list[Busy], queries: list[tuple[int, int]]) -> None:
    spec = WeekSpec(week=WEEK, timezone=TZ, working=working(WEEK, TZ), requests=())
    week = Week(spec, busy)
    for span in queries:
        expected = [m for m in week.busy if overlaps((m[0], m[1]), span)]
        assert week.meetings_on(span) == expected
