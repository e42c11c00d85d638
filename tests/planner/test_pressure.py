"""A crowded week keeps the method's shape (issue 15.6): reserved time is kept from
alerts, alerts share a weekly cap, an urgent renewal is never cut by it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from blocker.core.models import Interval
from blocker.planner import plan_week
from tests.planner.helpers import at, by_key, family, fixed, meeting, request, spec

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


# -- the focus minimum is defended before optional work (issue 15.6) -------------------

WED, THU, FRI = date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)


def _focus(minutes: int = 240) -> object:
    return request(
        "focus_time:w",
        minutes,
        t(MON, 9),
        t(FRI, 17),
        kind="focus_time",
        protected=True,
        conflict_policy="keep",
        priority=80,
        min_chunk=60,
        max_chunk=120,
    )


def _optional(day: date) -> object:
    """A day-long low-priority block: the week has no free room at all."""
    return request(f"acct:{day.isoformat()}", 480, t(day, 9), t(day, 17), priority=60)


def _focus_minutes(plan: object) -> tuple[int, int]:
    """(focus minutes on the calendar, how many blocks)."""
    blocks = family(plan, "focus_time:w")  # type: ignore[arg-type]
    return sum(b.minutes for b in blocks), len(blocks)


def test_a_meeting_on_kept_focus_is_made_up_elsewhere_and_nothing_is_short() -> None:
    first = plan_week(spec(WEEK, TZ, [_focus()]))
    assert [(b.start, b.minutes) for b in family(first, "focus_time:w")] == [
        (t(MON, 9), 120),
        (t(TUE, 9), 120),
    ]
    # a 30-minute meeting lands on the first block: kept (keep), reported as a conflict,
    # and one whole chunk more of focus is placed, so four hours stay focus
    busy = [meeting(t(MON, 10), 30, "Exec sync")]
    again = plan_week(spec(WEEK, TZ, [_focus()]), busy=busy, previous=first.blocks)
    blocks = family(again, "focus_time:w")
    assert [(b.key, b.start, b.minutes) for b in blocks] == [
        ("focus_time:w", t(MON, 9), 120),
        ("focus_time:w#1", t(TUE, 9), 120),
        ("focus_time:w#2", t(WED, 9), 60),
    ]
    assert [c.key for c in again.conflicts] == ["focus_time:w"]
    assert again.shortfall == ()
    # a fixed point: the same run again writes nothing
    same = plan_week(spec(WEEK, TZ, [_focus()]), busy=busy, previous=again.blocks)
    assert same.blocks == again.blocks


def test_in_a_crowded_week_optional_work_yields_to_the_focus_minimum() -> None:
    optional = [_optional(d) for d in (MON, TUE, WED, THU, FRI)]
    first = plan_week(spec(WEEK, TZ, [_focus(), *optional]))
    assert _focus_minutes(first) == (240, 2)
    busy = [meeting(t(MON, 9), 120, "Board prep")]  # takes a whole kept focus block
    again = plan_week(spec(WEEK, TZ, [_focus(), *optional]), busy=busy, previous=first.blocks)
    focus = family(again, "focus_time:w")
    under = sum(b.minutes for b in focus if b.start < t(MON, 11) and b.end > t(MON, 9))
    assert sum(b.minutes for b in focus) - under == 240  # the minimum, in focus time
    assert again.shortfall[0].key.startswith("acct:")  # optional work gave way
    assert not [s for s in again.shortfall if s.key == "focus_time:w"]


def test_a_focus_shortfall_is_listed_first() -> None:
    # no room for focus at all past 16:00 Friday; optional alerts are short too
    late = t(FRI, 16)
    focus = replace(_focus(), earliest=late)  # type: ignore[type-var]
    other = request("a:x", 120, late, t(FRI, 17), priority=90)
    plan = plan_week(spec(WEEK, TZ, [other, focus]))
    # by rule name "a" would come first: the focus minimum is read first instead
    assert [(s.key, s.placed_minutes) for s in plan.shortfall] == [
        ("focus_time:w", 0),
        ("a:x", 60),
    ]


def test_focus_made_up_never_takes_an_alerts_time() -> None:
    """A renewal prep (an alert, priority 75) is no optional work: the lost focus is
    short, said first, and the prep stays."""
    preps = [
        request(f"renewal:{d.isoformat()}", 480, t(d, 9), t(d, 17), priority=75, alert=True)
        for d in (MON, TUE, WED, THU, FRI)
    ]
    first = plan_week(spec(WEEK, TZ, [_focus(), *preps]))
    assert _focus_minutes(first) == (240, 2)
    busy = [meeting(t(MON, 9), 120, "Board prep")]
    again = plan_week(spec(WEEK, TZ, [_focus(), *preps]), busy=busy, previous=first.blocks)
    assert _focus_minutes(again) == (240, 2)  # nothing taken from the preps
    assert again.shortfall[0].key == "focus_time:w"
    assert again.shortfall[0].placed_minutes == 120


def test_a_covered_focus_block_stays_whatever_is_kept_first() -> None:
    """Today's blocks are kept first (the stability horizon): a chunk made up today
    must not crowd out a later block the meeting covers, or the replan deletes that
    protected block (noah-sydney W41 did, on a morning with nothing changed)."""
    first = plan_week(spec(WEEK, TZ, [_focus()]))
    busy = [meeting(t(TUE, 9), 120, "Board prep")]  # covers the whole Tuesday block
    monday = {"now": t(MON, 12), "stability_until": t(TUE, 0)}
    again = plan_week(spec(WEEK, TZ, [_focus()]), busy=busy, previous=first.blocks, **monday)
    blocks = family(again, "focus_time:w")
    assert [(b.key, b.start.date(), b.minutes) for b in blocks] == [
        ("focus_time:w", MON, 120),
        ("focus_time:w#2", MON, 120),  # made up today
        ("focus_time:w#1", TUE, 120),  # kept under the meeting, a reported conflict
    ]
    assert [c.key for c in again.conflicts] == ["focus_time:w#1"]
    # the same morning, nothing changed: nothing moves
    same = plan_week(spec(WEEK, TZ, [_focus()]), busy=busy, previous=again.blocks, **monday)
    assert same.blocks == again.blocks


def test_a_made_up_chunk_that_overshoots_trims_no_kept_focus() -> None:
    """Half an hour covered is made up in one whole chunk (an hour): the week then
    holds 30 minutes more focus than asked. Trimming that from the block kept last
    (Tuesday's) cut a kept block on a morning with nothing changed (priya-la W47)."""
    first = plan_week(spec(WEEK, TZ, [_focus()]))
    busy = [meeting(t(MON, 9), 30, "Exec sync")]
    monday = {"now": t(MON, 12), "stability_until": t(TUE, 0)}
    again = plan_week(spec(WEEK, TZ, [_focus()]), busy=busy, previous=first.blocks, **monday)
    assert [(b.key, b.start, b.minutes) for b in family(again, "focus_time:w")] == [
        ("focus_time:w", t(MON, 9), 120),
        ("focus_time:w#2", t(MON, 12), 60),
        ("focus_time:w#1", t(TUE, 9), 120),  # whole, as generated
    ]
    tuesday = {"now": t(TUE, 7), "stability_until": t(WED, 0)}
    same = plan_week(spec(WEEK, TZ, [_focus()]), busy=busy, previous=again.blocks, **tuesday)
    assert same.blocks == again.blocks


def test_a_kept_protected_block_is_not_evicted_by_a_higher_priority() -> None:
    """As in displacement, protected time is never taken: a kept focus block stays
    when a higher-priority request finds no room (it is short and says so)."""
    two_hours = (Interval(t(MON, 9), t(MON, 11)),)
    focus = replace(_focus(120), latest=t(MON, 11))  # type: ignore[type-var]
    first = plan_week(spec(WEEK, TZ, [focus], working=two_hours))
    assert [(b.key, b.start) for b in first.blocks] == [("focus_time:w", t(MON, 9))]
    urgent = request("renewal:x", 60, t(MON, 9), t(MON, 11), priority=95, min_chunk=60)
    again = plan_week(spec(WEEK, TZ, [focus, urgent], working=two_hours), previous=first.blocks)
    assert [(b.key, b.start) for b in again.blocks] == [("focus_time:w", t(MON, 9))]
    assert [s.key for s in again.shortfall] == ["renewal:x"]
