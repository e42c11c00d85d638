"""Planned vs actual count the same thing: account-facing time (meetings with the
account plus its blocks) on both sides; a future week shows no actual side and an
empty one is "no data", never a green tick."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocker.actuals import DomainIndex, measure
from blocker.core.models import Block, Busy, Interval, Plan, TierTarget, WeekSpec
from blocker.report import actual_state, actual_to_dict, compare, scorecard, scorecard_to_dict
from rules import parse_rules

TZ = ZoneInfo("Europe/Berlin")
WEEK = "2026-W49"
MONDAY = date(2026, 11, 30)
SPAN = Interval(
    datetime.combine(MONDAY, time(0), tzinfo=TZ),
    datetime.combine(MONDAY + timedelta(days=7), time(0), tzinfo=TZ),
)
SPEC = WeekSpec(
    WEEK,
    "Europe/Berlin",
    (),
    (),
    tiers=(
        TierTarget("high", 0.5, 0.6),
        TierTarget("mid", 0.3, 0.35),
        TierTarget("low", 0.1, 0.15),
    ),
    category_targets=(),
)
RULES = parse_rules(
    """\
timezone: Europe/Berlin
accounts:
  - {name: Acme, arr: 150000, domains: acme.example}
  - {name: Globex, arr: 50000, domains: globex.example}
  - {name: Initech, arr: 10000, domains: initech.example}
"""
)
INDEX = DomainIndex(RULES.accounts, ["mycorp.example"])


def _at(day: int, hour: int) -> datetime:
    return datetime.combine(MONDAY + timedelta(days=day), time(hour), tzinfo=TZ)


def _block(key: str, day: int, minutes: int, account: str, tier: str) -> Block:
    return Block(
        key=key,
        rule="account_time",
        kind="account_time",
        title=f"Account time: {account}",
        start=_at(day, 14),
        end=_at(day, 14) + timedelta(minutes=minutes),
        tier=tier,
        account=account,
    )


def _call(day: int, minutes: int, domain: str) -> Busy:
    return Busy(
        _at(day, 10),
        _at(day, 10) + timedelta(minutes=minutes),
        "Call",
        attendee_domains=("mycorp.example", domain),
        organizer_domain="mycorp.example",
    )


# Acme (high) has five hours of calls, so one short prep block is its right share
PLAN = Plan(
    WEEK,
    "Europe/Berlin",
    (
        _block("acme", 0, 30, "Acme", "high"),
        _block("globex", 1, 180, "Globex", "mid"),
        _block("initech", 2, 75, "Initech", "low"),
    ),
)
CALLS = [_call(d, 60, "acme.example") for d in range(5)]


def test_blocks_alone_judge_every_tier_wrong() -> None:
    """The old way: 30 / 180 / 75 minutes of blocks, every tier outside its range."""
    card = scorecard(PLAN, SPEC)
    assert [(r.name, r.planned.minutes, r.ok) for r in card.tiers] == [
        ("high", 30, False),
        ("mid", 180, False),
        ("low", 75, False),
    ]


def test_planned_counts_the_known_meetings_like_the_actual_side() -> None:
    planned = measure(SPAN, PLAN.blocks, CALLS, INDEX)
    card = scorecard(PLAN, SPEC, planned)
    # 330 / 180 / 75 of 585 minutes: 56 %, 31 %, 13 %
    assert [(r.name, r.planned.minutes, r.ok) for r in card.tiers] == [
        ("high", 330, True),
        ("mid", 180, True),
        ("low", 75, True),
    ]
    assert card.flags == ()
    # the week happened as planned: the actual side is the same figures, judged the same
    actual = measure(SPAN, PLAN.blocks, CALLS, INDEX)
    compared = compare(PLAN, SPEC, actual, planned=planned, state="complete")
    assert [(r.name, r.planned.minutes, r.actual.minutes, r.ok) for r in compared.tiers] == [
        ("high", 330, 330, True),
        ("mid", 180, 180, True),
        ("low", 75, 75, True),
    ]
    assert compared.flags == ()


def test_a_meeting_on_a_block_counts_once() -> None:
    """A call landing on Acme's prep block: the block's covered half is not time twice."""
    on_block = Busy(
        _at(0, 14),
        _at(0, 14) + timedelta(minutes=15),
        "Call",
        attendee_domains=("acme.example",),
        organizer_domain="mycorp.example",
    )
    actual = measure(SPAN, PLAN.blocks, [*CALLS, on_block], INDEX)
    compared = compare(PLAN, SPEC, actual, planned=measure(SPAN, PLAN.blocks, CALLS, INDEX))
    assert compared.tiers[0].actual.minutes == 330


def test_a_future_week_has_no_actual_side() -> None:
    planned = measure(SPAN, PLAN.blocks, CALLS, INDEX)
    card = compare(PLAN, SPEC, planned, planned=planned, state="future")
    out = actual_to_dict(card)
    assert out["state"] == "future"
    assert out["tiers"]["high"] == {
        "planned_minutes": 330,
        "planned_share": 0.5641,
        "target_min": 0.5,
        "target_max": 0.6,
    }
    assert out["flags"] == [] and out["meetings"] == {} and out["missed_touchpoints"] == []


def test_an_empty_week_is_no_data_not_a_tick() -> None:
    empty = measure(SPAN, (), (), INDEX)
    card = compare(PLAN, SPEC, empty, planned=measure(SPAN, PLAN.blocks, CALLS, INDEX))
    out = actual_to_dict(card)
    assert all("ok" not in row for row in out["tiers"].values())
    assert [r.ok for r in card.tiers] == [None, None, None]
    assert card.flags == ()
    nothing = scorecard(Plan(WEEK, "Europe/Berlin", ()), SPEC, empty)
    assert [row["ok"] for row in scorecard_to_dict(nothing)["tiers"].values()] == [None] * 3


def test_actual_state_follows_the_clock() -> None:
    assert actual_state(SPAN, SPAN.start - timedelta(seconds=1), 0) == "future"
    assert actual_state(SPAN, SPAN.start - timedelta(seconds=1), 90) == "future"
    assert actual_state(SPAN, SPAN.start, 0) == "no_data"
    assert actual_state(SPAN, _at(2, 12), 90) == "in_progress"
    assert actual_state(SPAN, SPAN.end, 90) == "complete"


def test_the_actual_side_counts_protected_time_the_meetings_left() -> None:
    """The report's actual ``protected_minutes`` (the trend's "Focus kept, actual"):
    protected blocks on the calendar less the meetings booked on them; a future
    week has none."""
    focus = Block(
        key="focus",
        rule="focus_time",
        kind="focus_time",
        title="Focus time",
        start=_at(0, 9),
        end=_at(0, 12),
        protected=True,
    )
    plan = Plan(WEEK, "Europe/Berlin", (focus, *PLAN.blocks))
    meetings = [_call(0, 60, "acme.example")]  # Monday 10:00-11:00, on the focus block
    actual = measure(SPAN, plan.blocks, meetings, INDEX)
    card = compare(plan, SPEC, actual)
    assert card.protected_minutes == 120
    assert actual_to_dict(card)["protected_minutes"] == 120
    future = compare(plan, SPEC, actual, state="future")
    assert actual_to_dict(future)["protected_minutes"] == 0
