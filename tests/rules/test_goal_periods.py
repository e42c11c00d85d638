"""Monthly and quarterly goals, and one goal title used again in another week."""

from __future__ import annotations

from datetime import date, timedelta

from blocker.core.models import BlockRequest, Pin
from blocker.core.weeks import week_of
from blocker.planner import plan_week
from rules import expand_week
from rules.kinds._periods import share_out
from tests.rules.util import BASE, problems_of, rules_from

TODAY = date(2026, 11, 27)
DECEMBER_WEEKS = ["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53"]

MONTHLY = """\
rules:
  - kind: goals
    goals:
      - {title: Customer story, hours: 8, per: month}
"""


def goals(body: str, week: str) -> list[BlockRequest]:
    spec = expand_week(rules_from(body), week, today=TODAY)
    return [r for r in spec.requests if r.kind == "goals"]


def test_a_monthly_goal_is_shared_over_its_weeks_by_working_days_and_adds_up() -> None:
    # December 2026 in New York: 22 working days (Christmas Friday is a holiday);
    # W49 has 4 of them (Mon 30 Nov is November), W52 4, W53 4, W50 and W51 5 each
    per_week = {}
    for week in DECEMBER_WEEKS:
        december = [r for r in goals(MONTHLY, week) if r.key.endswith("-2026-12")]
        assert len(december) == 1, week
        [req] = december
        assert req.key == f"goals/{req.earliest.date():%Y-%m-%d}/customer-story-2026-12" or (
            week == "2026-W49" and req.key == "goals/2026-11-30/customer-story-2026-12"
        )
        assert req.earliest.date() >= date(2026, 12, 1) and req.latest.date() <= date(2026, 12, 31)
        assert "for 2026-12" in req.reason
        per_week[week] = req.minutes
    assert per_week == {
        "2026-W49": 120,
        "2026-W50": 120,
        "2026-W51": 120,
        "2026-W52": 60,
        "2026-W53": 60,
    }
    assert sum(per_week.values()) == 480


def test_a_week_across_two_months_asks_for_each_months_share_under_its_own_key() -> None:
    # W48..W49 hold November's share: Mon 30 Nov (W49) is one day of 20 and gets no
    # whole hour, so W49 asks only for December; November still adds up to 8 h
    november = {
        week: [r for r in goals(MONTHLY, week) if r.key.endswith("-2026-11")]
        for week in ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    }
    assert november["2026-W49"] == []
    assert sum(r.minutes for reqs in november.values() for r in reqs) == 480
    # Mon 28 Dec .. Sun 3 Jan 2027: January's only weekday (1 Jan) is a holiday
    assert [r.key for r in goals(MONTHLY, "2026-W53")] == [
        "goals/2026-12-28/customer-story-2026-12"
    ]
    # W05 of 2027 (Mon 1 Feb .. Sun 7 Feb) lies in one month only
    assert [r.key for r in goals(MONTHLY, "2027-W05")] == [
        "goals/2027-02-01/customer-story-2027-02"
    ]
    # and a week split 3/2 between two months asks for both, under two keys
    halves = MONTHLY.replace("goals:\n", "min_chunk: 30\n    goals:\n")
    split = goals(halves, "2027-W13")  # Mon 29 Mar .. Fri 2 Apr 2027
    assert sorted(r.key for r in split) == [
        "goals/2027-03-29/customer-story-2027-03",
        "goals/2027-03-29/customer-story-2027-04",
    ]


def test_a_quarterly_goal_pinned_to_one_quarter_asks_only_there() -> None:
    body = """\
    rules:
      - kind: goals
        min_chunk: 30
        goals:
          - {title: Book review, hours: 6, quarter: 2026-q4}
    """
    weeks = [week_of(date(2026, 10, 1) + timedelta(days=7 * i)) for i in range(14)]
    assert (weeks[0], weeks[-1]) == ("2026-W40", "2026-W53")
    q4 = [sum(r.minutes for r in goals(body, week)) for week in weeks]
    assert sum(q4) == 360 and all(m % 30 == 0 for m in q4)
    assert goals(body, "2027-W02") == []


def test_share_out_is_exact_and_deterministic() -> None:
    mondays = [date(2027, 1, 4 + 7 * i) for i in range(4)]
    shares = share_out(100, 30, [(m, 5) for m in mondays])
    # 3 chunks of 30 go to the earliest weeks on a tie, the 10 left to the first
    assert [shares[m] for m in mondays] == [40, 30, 30, 0]
    uneven = share_out(120, 60, [(mondays[0], 1), (mondays[1], 4)])
    assert uneven == {mondays[0]: 0, mondays[1]: 120}
    assert share_out(100, 30, [(m, 5) for m in mondays]) == shares
    assert share_out(0, 30, [(m, 5) for m in mondays]) == dict.fromkeys(mondays, 0)


def test_one_title_in_two_weeks_does_not_collide_in_keys_or_dismissals() -> None:
    body = """\
    rules:
      - kind: goals
        goals:
          - {title: Board memo, hours: 1, week: 2026-W49}
          - {title: Board memo, hours: 2, week: 2026-W50}
          - {title: Board memo, hours: 3, month: 2026-12}
    """
    [w49] = [r for r in goals(body, "2026-W49") if r.key.endswith("/board-memo")]
    [w50] = [r for r in goals(body, "2026-W50") if r.key.endswith("/board-memo")]
    assert (w49.key, w49.minutes) == ("goals/2026-11-30/board-memo", 60)
    assert (w50.key, w50.minutes) == ("goals/2026-12-07/board-memo", 120)
    # dismissing W49's memo leaves W50's memo alone
    spec = expand_week(rules_from(body), "2026-W50", today=TODAY)
    plan = plan_week(spec, pins=[Pin(w49.key, dismissed=True)])
    assert any(b.key == w50.key for b in plan.blocks)
    assert not any(s.key == w50.key for s in plan.shortfall)


def test_a_title_used_twice_in_the_same_weeks_is_still_refused() -> None:
    problems = problems_of(
        BASE
        + """\
rules:
  - kind: goals
    goals:
      - {title: Board memo, hours: 1}
      - {title: Board memo, hours: 2, week: 2026-W50}
      - {title: Deck, hours: 1, month: 2026-12}
      - {title: Deck, hours: 1, per: month}
"""
    )
    assert [(p.line, p.column) for p in problems] == [(12, 17), (14, 17)]
    assert all("duplicate goal" in p.message for p in problems)


def test_period_problems_are_located_with_a_suggestion() -> None:
    problems = problems_of(
        BASE
        + """\
rules:
  - kind: goals
    goals:
      - {title: A, hours: 1, month: 2026-13}
      - {title: B, hours: 1, quarter: 2026-Q5}
      - {title: C, hours: 1, per: mnth}
      - {title: D, hours: 1, per: month, week: 2026-W50}
      - {title: E, hours: 1, month: 2026-12, quarter: 2026-Q4}
"""
    )
    got = [(p.line, p.message) for p in problems]
    assert got[0] == (11, "goals.0.month: invalid month '2026-13': expected YYYY-MM, e.g. 2026-12")
    assert got[1] == (
        12,
        "goals.1.quarter: invalid quarter '2026-Q5': expected YYYY-Qn, e.g. 2026-Q4",
    )
    assert got[2][0] == 13 and "did you mean 'month'?" in got[2][1]
    assert got[3][0] == 14 and "per: month does not go with week: 2026-W50" in got[3][1]
    assert got[4][0] == 15 and "give one of month or quarter, not both" in got[4][1]
