"""expand_week: working time (holidays, DST), determinism, targets, plannability."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from blocker.core.models import Interval, TierTarget
from rules import expand_week, load_rules, tier_targets
from rules.kinds.account_time import rotation
from rules.spec import Account, Cadence
from tests.rules.util import EXAMPLE, rules_from

TODAY = date(2026, 11, 27)


def _local_hours(working: tuple[Interval, ...], tz: str) -> set[tuple[time, time]]:
    zone = ZoneInfo(tz)
    return {(i.start.astimezone(zone).time(), i.end.astimezone(zone).time()) for i in working}


def test_thanksgiving_removes_the_thursday() -> None:
    rules = rules_from(
        """\
        rules:
          - kind: morning_proactive
          - kind: qbr_day
        """
    )
    spec = expand_week(rules, "2026-W48", today=TODAY)
    days = [i.start.date() for i in spec.working]
    assert date(2026, 11, 26) not in days
    assert days == [date(2026, 11, d) for d in (23, 24, 25, 27)]
    assert [r.key for r in spec.requests if r.kind == "qbr_day"] == []
    assert [r.earliest.day for r in spec.requests if r.kind == "morning_proactive"] == [
        23,
        24,
        25,
        27,
    ]


def test_no_holidays_section_keeps_every_weekday() -> None:
    rules = rules_from("", base="timezone: America/New_York\n")
    assert len(expand_week(rules, "2026-W48", today=TODAY).working) == 5


@pytest.mark.parametrize(
    ("tz", "week", "offset_hours"),
    [
        ("America/New_York", "2026-W44", -4),  # DST ends Sun 1 Nov: the whole week is EDT
        ("America/New_York", "2026-W45", -5),  # first full EST week
        ("Europe/Berlin", "2026-W43", 2),  # DST ends Sun 25 Oct
        ("Europe/Berlin", "2026-W44", 1),
    ],
)
def test_dst_weeks_keep_local_working_hours(tz: str, week: str, offset_hours: int) -> None:
    rules = rules_from("", base=f"timezone: {tz}\n")
    spec = expand_week(rules, week, today=TODAY)
    assert len(spec.working) == 5
    assert _local_hours(spec.working, tz) == {(time(8, 30), time(17, 30))}
    assert {i.start.utcoffset() for i in spec.working} == {timedelta(hours=offset_hours)}
    assert all(i.minutes == 540 for i in spec.working)


def test_dst_change_day_marker_is_25_hours_long() -> None:
    rules = rules_from(
        """\
        working_hours: {sun: "10:00-14:00"}
        rules:
          - kind: meeting_free_day
            day: sun
        """,
        base="timezone: America/New_York\n",
    )
    marker = expand_week(rules, "2026-W44", today=TODAY).requests[0]
    assert marker.all_day and marker.protected and marker.fixed
    assert marker.earliest == datetime(2026, 11, 1, tzinfo=ZoneInfo("America/New_York"))
    assert marker.minutes == 25 * 60
    assert (
        marker.latest - marker.earliest.astimezone(ZoneInfo("UTC"))
    ).total_seconds() == 25 * 3600


def test_fixed_blocks_follow_wall_time_across_dst() -> None:
    rules = rules_from("rules:\n  - kind: lunch\n", base="timezone: Europe/Berlin\n")
    before = expand_week(rules, "2026-W43", today=TODAY).requests[0]
    after = expand_week(rules, "2026-W44", today=TODAY).requests[0]
    assert before.earliest.astimezone(ZoneInfo("Europe/Berlin")).time() == time(12, 0)
    assert after.earliest.astimezone(ZoneInfo("Europe/Berlin")).time() == time(12, 0)
    assert before.earliest.astimezone(ZoneInfo("UTC")).hour == 10
    assert after.earliest.astimezone(ZoneInfo("UTC")).hour == 11


def test_expansion_is_deterministic_and_keys_are_unique() -> None:
    rules = load_rules(EXAMPLE)
    first = expand_week(rules, "2026-W49", today=TODAY)
    second = expand_week(rules, "2026-W49", today=TODAY)
    assert first == second
    keys = [r.key for r in first.requests]
    assert len(keys) == len(set(keys))
    assert all(r.earliest.tzinfo is not None for r in first.requests)


@pytest.mark.parametrize("week", ["2026-W47", "2026-W49", "2026-W50", "2026-W51", "2027-W02"])
def test_example_week_is_plannable(week: str) -> None:
    spec = expand_week(load_rules(EXAMPLE), week, today=TODAY)
    working = sum(i.minutes for i in spec.working)
    requested = sum(r.minutes for r in spec.requests if not r.all_day)
    assert working == 5 * 540
    assert requested <= 0.85 * working, (requested, working)
    for request in spec.requests:
        if request.fixed and not request.all_day:
            assert any(
                i.start <= request.earliest and request.latest <= i.end for i in spec.working
            ), request.key


def test_example_week_has_every_kind_of_block() -> None:
    spec = expand_week(load_rules(EXAMPLE), "2026-W49", today=TODAY)
    kinds = Counter(r.kind for r in spec.requests)
    assert set(kinds) >= {
        "morning_proactive",
        "email_batches",
        "lunch",
        "meeting_free_day",
        "call_window",
        "qbr_day",
        "internal_meetings",
        "focus_time",
        "account_time",
        "renewal_prep",
        "silent_account",
        "health_drop",
        "go_live_prep",
        "wrap_up",
        "weekly_review",
        "block",
    }
    fixed = sorted(
        (r for r in spec.requests if r.fixed and not r.all_day), key=lambda r: r.earliest
    )
    for a, b in itertools.pairwise(fixed):
        assert a.latest <= b.earliest, (a.key, b.key)


def test_targets() -> None:
    rules = load_rules(EXAMPLE)
    assert tier_targets(rules) == (
        TierTarget("high", 0.5, 0.6, "#D50000", "$100,000 and up"),
        TierTarget("mid", 0.3, 0.35, "#F4B400", "$25,000–$100,000"),
        TierTarget("low", 0.1, 0.15, "#0B8043", "under $25,000"),
    )
    spec = expand_week(rules, "2026-W49", today=TODAY)
    assert spec.tiers == tier_targets(rules)
    assert dict(spec.category_targets) == {"proactive": 0.5, "reactive": 0.3, "admin": 0.2}
    assert spec.timezone == "America/New_York" and spec.week == "2026-W49"


def test_rotation_covers_each_account_once_per_cadence() -> None:
    rules = load_rules(EXAMPLE)
    mid = [a for a in rules.accounts if a.tier == "mid"]
    low = [a for a in rules.accounts if a.tier == "low"]
    monday = date(2026, 11, 30)
    cases: list[tuple[list[Account], Cadence, int]] = [(mid, "monthly", 4), (low, "quarterly", 13)]
    for accounts, cadence, weeks in cases:
        seen = Counter(
            a.name
            for n in range(weeks)
            for a in rotation(accounts, cadence, monday + timedelta(weeks=n))
        )
        assert set(seen) == {a.name for a in accounts}
        assert set(seen.values()) == {1}


def test_meeting_like_blocks_never_land_on_the_meeting_free_day() -> None:
    rules = rules_from(
        """\
        rules:
          - kind: meeting_free_day
            day: fri
          - kind: call_window
            days: [thu, fri]
          - kind: block
            id: office_hours
            title: Office hours
            meeting_like: true
            days: [thu, fri]
            window: "09:00-12:00"
            minutes: 60
          - kind: block
            id: training
            title: Training
            days: [fri]
            window: "09:00-12:00"
            minutes: 60
        """
    )
    spec = expand_week(rules, "2026-W49", today=TODAY)
    assert sorted(r.key for r in spec.requests) == [
        "call_window/2026-12-03/0",
        "meeting_free_day/2026-12-04/0",
        "office_hours/2026-12-03/0",
        "training/2026-12-04/0",
    ]
