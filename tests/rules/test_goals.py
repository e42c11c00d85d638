"""The ``goals`` kind: the week's goals as protected morning blocks before their deadline."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from blocker.core.models import BlockRequest
from blocker.core.weeks import week_window
from blocker.planner import plan_week
from providers.ics import read_busy
from rules import expand_week, load_rules
from tests.rules.util import BASE, EXAMPLE, REPO, problems_of, rules_from

NY = ZoneInfo("America/New_York")
WEEK = "2026-W49"  # Mon 30 Nov .. Sun 6 Dec 2026
TODAY = date(2026, 11, 27)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    month = 11 if day >= 30 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def spans(req: BlockRequest) -> list[tuple[datetime, datetime]]:
    return [(p.start, p.end) for p in req.preferred]


def goals(body: str, week: str = WEEK) -> list[BlockRequest]:
    spec = expand_week(rules_from(body), week, today=TODAY)
    return [r for r in spec.requests if r.kind == "goals"]


def test_each_goal_is_a_protected_busy_morning_request_before_its_deadline() -> None:
    reqs = goals(
        """\
        rules:
          - kind: goals
            goals:
              - {title: Write the QBR deck template, hours: 2, deadline: wed}
              - {title: Clean up the CRM, minutes: 45}
        """
    )
    assert [r.key for r in reqs] == [
        "goals/2026-11-30/write-the-qbr-deck-template",
        "goals/2026-11-30/clean-up-the-crm",
    ]
    deck, crm = reqs
    assert deck.title == "Busy · Goal: Write the QBR deck template"
    assert (deck.minutes, deck.fixed, deck.min_chunk) == (120, False, 60)
    assert (deck.earliest, deck.latest) == (at(30, 8, 30), at(2, 17, 30))  # ends Wed evening
    assert spans(deck) == [(at(d, 9), at(d, 12)) for d in (30, 1, 2)]  # the mornings
    assert (deck.protected, deck.conflict_policy, deck.show_as) == (True, "keep", "busy")
    assert (deck.quadrant, deck.category, deck.priority) == (2, "proactive", 70)
    assert deck.reason == "goal: Write the QBR deck template by Wed 02 Dec"
    # no deadline: the whole week, every morning; a short goal stays in one piece
    assert (crm.minutes, crm.min_chunk, crm.latest) == (45, 45, at(4, 17, 30))
    assert len(crm.preferred) == 5 and crm.title == "Busy · Goal: Clean up the CRM"


def test_goals_outrank_account_time() -> None:
    spec = expand_week(
        rules_from(
            """\
            rules:
              - kind: account_time
              - kind: goals
                goals: [{title: Renewal playbook, hours: 1}]
            """
        ),
        WEEK,
        today=TODAY,
    )
    goal = next(r for r in spec.requests if r.kind == "goals")
    account_time = [r for r in spec.requests if r.kind == "account_time"]
    assert account_time and all(goal.priority > r.priority for r in account_time)


def test_week_limits_a_goal_to_one_iso_week() -> None:
    body = """\
        rules:
          - kind: goals
            goals:
              - {title: Only next week, hours: 1, week: 2026-W50}
              - {title: Every week, minutes: 30}
              - {title: This week, minutes: 30, week: 2026-w49}
        """
    assert [r.key.rsplit("/", 1)[1] for r in goals(body)] == ["every-week", "this-week"]
    assert [r.key for r in goals(body, "2026-W50")] == [
        "goals/2026-12-07/only-next-week",
        "goals/2026-12-07/every-week",
    ]


def test_a_goal_for_an_account_counts_toward_it_and_its_tier() -> None:
    rules = rules_from(
        """\
        rules:
          - kind: goals
            goals:
              - {title: Expansion case, hours: 1.5, account: acme corp}
              - {title: Fix the onboarding, minutes: 60, account: Globex}
          - kind: account_time
        """
    )
    spec = expand_week(rules, WEEK, today=TODAY)
    by_kind: dict[str, list[BlockRequest]] = {}
    for req in spec.requests:
        by_kind.setdefault(req.kind, []).append(req)
    acme, globex = by_kind["goals"]
    assert (acme.account, acme.tier, acme.minutes) == ("Acme Corp", "high", 90)
    assert (globex.account, globex.tier) == ("Globex", "mid")
    assert acme.reason == "goal: Expansion case (Acme Corp)"
    # account time budgets the rest of each tier: the goal's minutes already count
    alone = expand_week(rules_from("rules:\n  - kind: account_time\n"), WEEK, today=TODAY)
    high_alone = sum(r.minutes for r in alone.requests if r.tier == "high")
    high_after_goal = sum(r.minutes for r in by_kind["account_time"] if r.tier == "high")
    assert high_after_goal < high_alone


def test_goal_and_rule_overrides() -> None:
    reqs = goals(
        """\
        rules:
          - kind: goals
            id: gem
            title: "GEM {goal} (due {deadline})"
            quadrant: 1
            priority: 88
            conflict_policy: yield
            preferred: null
            min_chunk: 30
            days: [tue, thu]
            goals:
              - {title: Hiring plan, hours: 2, deadline: fri}
              - {title: Escalation post-mortem, minutes: 90, quadrant: 3}
        """
    )
    plan, postmortem = reqs
    assert plan.key == "gem/2026-11-30/hiring-plan"
    assert plan.title == "Busy · GEM Hiring plan (due fri)"
    assert (plan.quadrant, plan.priority, plan.conflict_policy) == (1, 88, "yield")
    assert postmortem.quadrant == 3  # the goal's own quadrant beats the rule's
    assert (plan.earliest, plan.latest) == (at(1, 8, 30), at(3, 17, 30))  # Tue..Thu only
    assert plan.min_chunk == 30
    # no morning window: the whole working days are preferred
    assert spans(plan) == [(at(1, 8, 30), at(1, 17, 30)), (at(3, 8, 30), at(3, 17, 30))]


def test_deadline_on_a_holiday_or_past_moves_to_the_last_working_day_or_first_thing() -> None:
    # Thanksgiving week: Thursday 26 Nov 2026 is a holiday
    thanksgiving = goals(
        "rules:\n  - kind: goals\n    goals: [{title: Board memo, hours: 1, deadline: thu}]\n",
        "2026-W48",
    )
    assert thanksgiving[0].latest == datetime(2026, 11, 25, 17, 30, tzinfo=NY)
    # MLK day, Monday 18 Jan 2027: a Monday deadline has no working day left
    mlk = goals(
        "rules:\n  - kind: goals\n    goals: [{title: Kick-off deck, hours: 1, deadline: mon}]\n",
        "2027-W03",
    )[0]
    tuesday = date(2027, 1, 19)
    assert mlk.earliest == datetime.combine(tuesday, time(8, 30), tzinfo=NY)
    assert mlk.latest == datetime(2027, 1, 22, 17, 30, tzinfo=NY)  # anywhere beats never
    assert [p.start.date() for p in mlk.preferred] == [tuesday]
    assert "no working day up to mon: first thing" in mlk.reason


def test_no_goals_and_no_working_days_ask_for_nothing() -> None:
    assert goals("rules:\n  - kind: goals\n") == []
    weekend = "rules:\n  - kind: goals\n    days: [sat]\n    goals: [{title: X, hours: 1}]\n"
    assert goals(weekend) == []


def test_goal_problems_are_located_and_all_reported() -> None:
    problems = problems_of(
        BASE
        + """\
rules:
  - kind: goals
    goals:
      - title: No time given
        deadline: fri
      - {title: Bad day, hours: 1, deadline: frday}
      - {title: Bad week, hours: 1, week: 2026-W54}
      - {title: Not a week, hours: 1, week: next week}
      - {title: Both, hours: 1, minutes: 30}
  - kind: goals
    id: more
    goals:
      - {title: Unknown account, hours: 1, account: Acme Corporation}
      - {title: unknown ACCOUNT, minutes: 20}
      - {title: Nobody, hours: 1, account: Hooli}
"""
    )
    located = [(p.line, p.column, p.message) for p in problems]
    no_time = "goal 'No time given' has no time: give 'minutes' or 'hours' (e.g. hours: 2)"
    assert located == [
        (11, 9, f"goals.0: {no_time}"),
        (13, 46, "goals.1.deadline: expected a weekday (mon..sun), got 'frday'"),
        (14, 43, "goals.2.week: invalid week '2026-W54': 2026 has no week 54"),
        (15, 45, "goals.3.week: invalid week 'next week': expected YYYY-Www, e.g. 2026-W49"),
        (16, 9, "goals.4: goal 'Both': give 'minutes' or 'hours', not both"),
        (20, 53, "unknown account 'Acme Corporation' (did you mean 'Acme Corp'?)"),
        (
            21,
            17,
            "duplicate goal 'unknown ACCOUNT', first used by goal #1 in the same weeks "
            "(block keys use the title; give each its own week:, month: or quarter:, "
            "or another title)",
        ),
        (22, 44, "unknown account 'Hooli' (accounts: Acme Corp, Globex, Initech)"),
    ]


def test_goal_account_with_no_accounts_at_all() -> None:
    problems = problems_of(
        "timezone: UTC\nrules:\n  - kind: goals\n    goals: [{title: X, hours: 1, account: Acme}]\n"
    )
    assert [(p.line, p.message) for p in problems] == [
        (4, "unknown account 'Acme' (no accounts are defined)")
    ]


def test_example_week_places_its_goals_in_the_mornings_before_their_deadlines() -> None:
    rules = load_rules(EXAMPLE)
    spec = expand_week(rules, WEEK, today=date(2026, 11, 20))
    asked = {r.key: r for r in spec.requests if r.kind == "goals"}
    assert len(asked) == 2
    assert all(r.title.startswith("Busy · Goal: ") and r.protected for r in asked.values())
    busy = [
        b
        for b in read_busy(
            [Path(REPO, "examples", "busy.ics")],
            week_window(WEEK, rules.timezone),
            owner_domains=rules.owner.email_domains,
        )
        if b.blocks_time
    ]
    plan = plan_week(spec, busy=busy)
    placed = [b for b in plan.blocks if b.rule == "goals"]
    assert not [s for s in plan.shortfall if s.rule == "goals"]
    for key, req in asked.items():
        pieces = [b for b in placed if b.key.split("#")[0] == key]
        assert sum(b.interval.minutes for b in pieces) == req.minutes, key
        for block in pieces:
            assert block.end <= req.latest
            assert any(p.start <= block.start and block.end <= p.end for p in req.preferred)
    # goals are one-week entries: the next week asks for none
    later = expand_week(rules, "2026-W50", today=date(2026, 11, 20))
    assert not [r for r in later.requests if r.kind == "goals"]
