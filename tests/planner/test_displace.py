"""Displacement: with no free room left, priority decides, fixed blocks included."""

from __future__ import annotations

from datetime import date
from typing import Any

from blocker.core.models import BlockRequest, Interval, Pin, Plan
from blocker.planner import plan_week
from tests.planner.helpers import at, by_key, fixed, request, spec

TZ = "Europe/Berlin"
WEEK = "2026-W10"
MON = date(2026, 3, 2)
MORNING = (Interval(at(TZ, MON, 9), at(TZ, MON, 11)),)


def _plan(*requests: BlockRequest, **kw: Any) -> Plan:
    """Plan a week whose only working time is Monday 9:00-11:00."""
    return plan_week(spec(WEEK, TZ, list(requests), working=MORNING), **kw)


def test_higher_priority_request_takes_a_lower_priority_fixed_blocks_time() -> None:
    email = fixed("email", at(TZ, MON, 9, 30), 30, priority=55, title="Email")
    review = fixed("review", at(TZ, MON, 10), 60, priority=60, title="Review")
    golive = request(
        "golive", 60, at(TZ, MON, 9), at(TZ, MON, 11), priority=85, min_chunk=60, title="Go-live"
    )
    plan = _plan(email, review, golive)
    blocks = by_key(plan)
    # 9:00-10:00 costs one 30-min email batch (55 * 30); 10:00-11:00 the review (60 * 60)
    assert (blocks["golive"].start, blocks["golive"].end) == (at(TZ, MON, 9), at(TZ, MON, 10))
    assert "email" not in blocks and "review" in blocks
    (short,) = plan.shortfall
    assert short.key == "email" and short.placed_minutes == 0
    assert short.reason.startswith("its time went to 'Go-live' (higher priority)")


def test_no_displacement_when_it_costs_more_than_it_gains() -> None:
    window = fixed("window", at(TZ, MON, 9), 120, priority=50, title="Call window")
    account = request("account", 30, at(TZ, MON, 9), at(TZ, MON, 11), priority=60)
    plan = _plan(window, account)
    assert set(by_key(plan)) == {"window"}  # 60 * 30 < 50 * 120
    assert [s.key for s in plan.shortfall] == ["account"]


def test_equal_priority_pinned_protected_and_stable_blocks_are_never_displaced() -> None:
    same = fixed("same", at(TZ, MON, 9), 30, priority=85)
    kept = fixed("kept", at(TZ, MON, 9, 30), 30, priority=10, protected=True)
    mine = fixed("mine", at(TZ, MON, 10), 30, priority=10)
    today = fixed("today", at(TZ, MON, 10, 30), 30, priority=10)
    golive = request("golive", 30, at(TZ, MON, 9), at(TZ, MON, 11), priority=85)
    pin = Pin("mine", at(TZ, MON, 10), at(TZ, MON, 10, 30))
    plan = _plan(same, kept, mine, today, golive, pins=[pin], stability_until=at(TZ, MON, 11))
    assert set(by_key(plan)) == {"same", "kept", "mine", "today"}
    assert [s.key for s in plan.shortfall] == ["golive"]
    free_today = _plan(same, kept, mine, today, golive, pins=[pin])
    assert "today" not in by_key(free_today) and "golive" in by_key(free_today)
