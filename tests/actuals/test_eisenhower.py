"""How real meetings map to Eisenhower quadrants: the documented defaults, the
user's own rules first, the at-risk/renewing accounts, and bad rules refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from blocker.actuals import DomainIndex, measure
from blocker.core.eisenhower import MeetingFacts, MeetingMapping, urgent_accounts
from blocker.core.errors import RulesError
from blocker.core.models import Busy, Interval
from rules import parse_rules

TZ = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 30)

DEFAULT = MeetingMapping()


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # a customer renewing or at risk: urgent whoever called it
        (MeetingFacts("Acme weekly", "account", urgent=True), (1, "reactive")),
        # reviews and planning are Q2, even when the customer called them
        (MeetingFacts("Initech QBR", "account", customer_called=True), (2, "proactive")),
        (MeetingFacts("Q1 planning", "internal"), (2, "proactive")),
        (MeetingFacts("Globex call", "account", customer_called=True), (1, "reactive")),
        (MeetingFacts("Globex call", "account"), (2, "proactive")),
        (MeetingFacts("Weekly team sync", "internal"), (3, "admin")),
        (MeetingFacts("Incident review: outage", "internal"), (1, "reactive")),
        (MeetingFacts("1:1 with Sam", "internal"), (2, "admin")),
        (MeetingFacts("Vendor demo", "external"), (3, "admin")),
        (MeetingFacts("Dentist", "solo"), None),
        # whole words only: "QBRX" is no QBR, "replanning" is no planning
        (MeetingFacts("QBRX replanning sync", "internal"), (3, "admin")),
    ],
)
def test_default_mapping(facts: MeetingFacts, expected: tuple[int, str] | None) -> None:
    assert DEFAULT.of(facts) == expected


RULES = """\
timezone: America/New_York
owner: {email_domains: [mycorp.example]}
eisenhower:
  at_risk_health: 50
  renewal_within_days: 30
  meetings:
    - title: [All Hands]
      quadrant: 4
    - organizer: partner.example
      quadrant: 2
    - domains: [eu.acme.example]
      kind: account
      quadrant: 3
      category: reactive
accounts:
  - {name: Acme, arr: 150000, domains: acme.example, renewal_date: 2026-12-20}
  - {name: Globex, arr: 50000, domains: globex.example, health: 40}
  - {name: Initech, arr: 10000, domains: initech.example, health: 50, renewal_date: 2027-01-05}
  - {name: Umbrella, arr: 10000, domains: umbrella.example, renewal_date: 2026-11-20}
"""


def test_user_rules_come_first_then_the_defaults() -> None:
    mapping = parse_rules(RULES).eisenhower.mapping()
    assert mapping.of(MeetingFacts("All hands (monthly)", "internal")) == (4, "admin")
    # the organiser's domain, sub-domains included; category by quadrant
    partner = MeetingFacts("Sync", "external", ("x.partner.example",), "x.partner.example")
    assert mapping.of(partner) == (2, "proactive")
    eu = MeetingFacts("Acme EU", "account", ("eu.acme.example",), urgent=True)
    assert mapping.of(eu) == (3, "reactive")
    # nothing of the user's matches: the defaults decide
    assert mapping.of(MeetingFacts("Team sync", "internal")) == (3, "admin")


def test_defaults_can_be_turned_off() -> None:
    text = RULES.replace("  at_risk_health: 50\n", "  at_risk_health: 50\n  defaults: false\n")
    mapping = parse_rules(text).eisenhower.mapping()
    # the kind's plain reading, no title keywords
    assert mapping.of(MeetingFacts("Incident review", "internal")) == (3, "admin")
    assert mapping.of(MeetingFacts("QBR", "account", customer_called=True)) == (1, "reactive")


def test_urgent_accounts_are_renewing_soon_or_at_risk() -> None:
    rules = parse_rules(RULES)
    mood = rules.eisenhower
    urgent = urgent_accounts(
        rules.accounts,
        MONDAY,
        at_risk_health=mood.at_risk_health,
        renewal_within_days=mood.renewal_within_days,
    )
    # Acme renews in 20 days, Globex's health 40 < 50; Initech renews in 36 days and
    # its 50 is not below 50; Umbrella's renewal is past
    assert urgent == frozenset({"Acme", "Globex"})


def _meeting(day: int, hour: int, minutes: int, title: str, *domains: str) -> Busy:
    start = datetime.combine(MONDAY + timedelta(days=day), datetime.min.time(), tzinfo=TZ)
    start += timedelta(hours=hour)
    return Busy(
        start,
        start + timedelta(minutes=minutes),
        title,
        attendee_domains=("mycorp.example", *domains),
        organizer_domain="mycorp.example",
    )


def test_measure_counts_meetings_by_the_mapping() -> None:
    rules = parse_rules(RULES)
    mood = rules.eisenhower
    urgent = urgent_accounts(
        rules.accounts, MONDAY, at_risk_health=50, renewal_within_days=mood.renewal_within_days
    )
    index = DomainIndex(rules.accounts, ["mycorp.example"], urgent)
    week = Interval(
        datetime.combine(MONDAY, datetime.min.time(), tzinfo=TZ),
        datetime.combine(MONDAY + timedelta(days=7), datetime.min.time(), tzinfo=TZ),
    )
    meetings = [
        _meeting(0, 10, 60, "Acme check-in", "acme.example"),  # renewing: Q1
        _meeting(1, 10, 30, "Initech check-in", "initech.example"),  # we called: Q2
        _meeting(2, 10, 45, "Team sync"),  # internal: Q3
        _meeting(3, 10, 90, "All hands"),  # the user's rule: Q4
    ]
    got = measure(week, (), meetings, index, mood.mapping())
    assert [(e.title, e.minutes, e.quadrant, e.category, e.tier) for e in got.entries] == [
        ("Acme check-in", 60.0, 1, "reactive", "high"),
        ("Initech check-in", 30.0, 2, "proactive", "low"),
        ("Team sync", 45.0, 3, "admin", None),
        ("All hands", 90.0, 4, "admin", None),
    ]


def test_a_rule_without_a_condition_is_refused_with_its_place() -> None:
    text = RULES.replace("    - title: [All Hands]\n      quadrant: 4\n", "    - quadrant: 4\n")
    with pytest.raises(RulesError) as err:
        parse_rules(text)
    message = str(err.value)
    assert "eisenhower" in message and "needs at least one condition" in message
