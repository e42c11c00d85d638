"""All-day busy entries (an offsite, out of office) take the day, even from `keep` blocks.

`conflict_policy: keep` holds a protected block against a meeting landing on it;
it is not a reason to plan focus time on a day the owner is at an offsite.
"""

from __future__ import annotations

from datetime import date

from blocker.planner import plan_week
from tests.planner.helpers import at, by_key, fixed, meeting, request, spec

TZ = "America/New_York"
WEEK = "2026-W49"
MON, TUE, WED = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


def t(day: date, hour: int, minute: int = 0):  # type: ignore[no-untyped-def]
    return at(TZ, day, hour, minute)


OFFSITE = meeting(t(TUE, 0), 24 * 60, "CS offsite", all_day=True, response="accepted")
HOLIDAY = meeting(t(TUE, 0), 24 * 60, "Team day (FYI)", all_day=True, transparent=True)


def test_a_protected_keep_block_is_not_placed_on_an_offsite() -> None:
    focus = fixed("focus:tue", t(TUE, 9), 120, protected=True, conflict_policy="keep")
    plan = plan_week(spec(WEEK, TZ, [focus]), busy=[OFFSITE])
    assert plan.blocks == () and plan.conflicts == ()
    [short] = plan.shortfall
    assert short.placed_minutes == 0 and "CS offsite" in short.reason


def test_a_transparent_all_day_entry_leaves_the_keep_block_alone() -> None:
    focus = fixed("focus:tue", t(TUE, 9), 120, protected=True, conflict_policy="keep")
    plan = plan_week(spec(WEEK, TZ, [focus]), busy=[HOLIDAY])
    block = by_key(plan)["focus:tue"]
    assert (block.start, block.end) == (t(TUE, 9), t(TUE, 11))


def test_a_kept_keep_block_gives_way_when_an_offsite_is_added() -> None:
    """The previous plan's focus on Tuesday moves when Tuesday becomes an offsite."""
    focus = request("focus", 120, t(MON, 9), t(WED, 17), protected=True, conflict_policy="keep")
    first = plan_week(spec(WEEK, TZ, [focus]), busy=[meeting(t(MON, 9), 8 * 60, "Workshop")])
    assert by_key(first)["focus"].start.date() == TUE
    second = plan_week(
        spec(WEEK, TZ, [focus]),
        busy=[meeting(t(MON, 9), 8 * 60, "Workshop"), OFFSITE],
        previous=first.blocks,
    )
    block = by_key(second)["focus"]
    assert block.start.date() == WED and second.conflicts == ()


def test_no_all_day_marker_on_a_day_away() -> None:
    marker = request(
        "meeting_free:tue", 1440, t(TUE, 0), t(WED, 0), all_day=True, title="Meeting-free day"
    )
    plan = plan_week(spec(WEEK, TZ, [marker]), busy=[OFFSITE])
    assert plan.blocks == ()
    [short] = plan.shortfall
    assert "CS offsite" in short.reason
    with_holiday = plan_week(spec(WEEK, TZ, [marker]), busy=[HOLIDAY])
    assert [b.key for b in with_holiday.blocks] == ["meeting_free:tue"]
