"""A crowded week keeps the method's shape (issue 15.6): reserved time is kept from
alerts, alerts share a weekly cap, an urgent renewal is never cut by it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from blocker.planner import plan_week
from tests.planner.helpers import at, by_key, fixed, meeting, request, spec

TZ = "America/New_York"
WEEK = "2026-W49"
MON, TUE = date(2026, 11, 30), date(2026, 12, 1)


def t(day: date, hour: int, minute: int = 0):  # type: ignore[no-untyped-def]
    return at(TZ, day, hour, minute)


# Monday is full but for 12:00-13:00, where lunch sits.
FULL_MONDAY = [meeting(t(MON, 9), 180, "Workshop"), meeting(t(MON, 13), 240, "Offsite prep")]


def _alert(key: str, minutes: int, priority: int, **kw: object) -> object:
    return request(key, minutes, t(MON, 9), t(MON, 17), priority=priority, alert=True, **kw)


def test_an_alert_takes_an_unreserved_template_slot_but_not_a_reserved_one() -> None:
    lunch = fixed("lunch:mon", t(MON, 12), 60, priority=55)
    golive = _alert("golive:acme", 60, 85)
    taken = plan_week(spec(WEEK, TZ, [lunch, golive]), busy=FULL_MONDAY)
    assert set(by_key(taken)) == {"golive:acme"}

    kept = plan_week(spec(WEEK, TZ, [replace(lunch, reserved=True), golive]), busy=FULL_MONDAY)
    assert set(by_key(kept)) == {"lunch:mon"}
    [short] = kept.shortfall
    assert short.key == "golive:acme" and short.placed_minutes == 0 and short.reason


def test_a_reserved_slot_still_yields_to_a_higher_priority_request_that_is_no_alert() -> None:
    """`reserve` guards against alerts only: a goal the user ranked higher still wins."""
    lunch = fixed("lunch:mon", t(MON, 12), 60, priority=55, reserved=True)
    goal = request("goal", 60, t(MON, 9), t(MON, 17), priority=70)
    plan = plan_week(spec(WEEK, TZ, [lunch, goal]), busy=FULL_MONDAY)
    assert set(by_key(plan)) == {"goal"}


def test_alerts_share_the_weekly_cap_by_priority_and_say_what_was_cut() -> None:
    alerts = [
        _alert("golive:acme", 60, 85),
        _alert("health:hooli", 60, 80),
        _alert("silent:initech", 60, 60),
    ]
    plan = plan_week(spec(WEEK, TZ, alerts, alerts_max_minutes=90))
    placed = {b.key.split("#")[0]: 0 for b in plan.blocks}
    for b in plan.blocks:
        placed[b.key.split("#")[0]] += b.minutes
    assert placed == {"golive:acme": 60, "health:hooli": 30}
    shorts = {s.key: s for s in plan.shortfall}
    assert set(shorts) == {"health:hooli", "silent:initech"}
    assert shorts["silent:initech"].placed_minutes == 0
    assert all("alert cap (1.5 h" in s.reason for s in shorts.values())


def test_an_urgent_renewal_is_never_cut_by_the_cap() -> None:
    renewal = _alert("renewal:acme-30", 60, 95, cap_exempt=True)
    other = _alert("golive:globex", 60, 85)
    plan = plan_week(spec(WEEK, TZ, [other, renewal], alerts_max_minutes=60))
    assert "renewal:acme-30" in by_key(plan)
    [short] = plan.shortfall
    assert short.key == "golive:globex" and "alert cap" in short.reason


def test_no_cap_no_cut() -> None:
    alerts = [_alert(f"a{i}", 60, 80) for i in range(3)]
    plan = plan_week(spec(WEEK, TZ, alerts))
    assert len(plan.blocks) == 3 and plan.shortfall == ()
