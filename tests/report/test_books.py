"""The scorecard counts the owner's own book only (issue 20.4).

A meeting with a colleague's account is customer time (its quadrant and category
count) but toward no tier or account of this owner; a block of an account that has
since changed hands stays on the record as time, attributed by the current book;
missed touchpoints list only the owner's accounts.
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from blocker.actuals import measure, missed_touchpoints
from blocker.core.models import Block, Busy, Plan
from blocker.core.weeks import week_window
from blocker.expansion import domain_index
from blocker.report import compare, scorecard
from rules import Rules, expand_week, parse_rules

TZ = ZoneInfo("America/New_York")
WEEK = "2026-W49"

RULES = """\
timezone: America/New_York
owner: {email: dana@corp.example, email_domains: [corp.example]}
tiers:
  high: {min_arr: 100000, share: [50, 60], cadence: weekly}
  low: {min_arr: 0, max_arr: 100000, share: [40, 50], cadence: weekly}
accounts:
  - {name: Acme, arr: 200000, owner: dana@corp.example, domains: acme.example}
  - {name: Initech, arr: 50000, domains: initech.example}
  - {name: Globex, arr: 150000, owner: {globex}, domains: globex.example}
"""


def rules(globex_owner: str = "sam@corp.example") -> Rules:
    return parse_rules(textwrap.dedent(RULES).replace("{globex}", globex_owner))


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, 30, hour, tzinfo=TZ) + timedelta(days=day)


def meeting(day: int, hour: int, domain: str, *, called_by: str = "corp.example") -> Busy:
    return Busy(
        start=at(day, hour),
        end=at(day, hour + 1),
        title=f"call {domain}",
        attendee_domains=(domain, "corp.example"),
        organizer_domain=called_by,
    )


def block(key: str, account: str, tier: str, day: int) -> Block:
    return Block(
        key=key,
        rule="account_time",
        kind="account_time",
        title=f"Busy · Account time: {account}",
        start=at(day, 14),
        end=at(day, 15),
        tier=tier,
        account=account,
    )


MEETINGS = [
    meeting(0, 10, "acme.example"),
    meeting(1, 10, "globex.example", called_by="globex.example"),
    meeting(2, 10, "initech.example"),
]
BLOCKS = [block("a/acme", "Acme", "high", 0), block("a/globex", "Globex", "high", 1)]


def measured(r: Rules) -> dict[str | None, float]:
    span = week_window(WEEK, r.timezone)
    actuals = measure(span, BLOCKS, MEETINGS, domain_index(r, span.start))
    out: dict[str | None, float] = {}
    for e in actuals.entries:
        out[e.account] = out.get(e.account, 0.0) + e.minutes
    return out


def test_a_colleagues_account_is_customer_time_attributed_to_nobody() -> None:
    r = rules()
    span = week_window(WEEK, r.timezone)
    actuals = measure(span, BLOCKS, MEETINGS, domain_index(r, span.start))
    globex = [
        e for e in actuals.entries if e.title in ("call globex.example",) or "Globex" in e.title
    ]
    assert {(e.source, e.kind, e.account, e.tier) for e in globex} == {
        ("meeting", "account", None, None),  # a customer meeting, none of Dana's accounts
        ("block", "account_time", None, None),  # her old block: time on record, no tier
    }
    called = next(e for e in globex if e.source == "meeting")
    assert (called.quadrant, called.category) == (1, "reactive")  # the customer called it
    assert measured(r) == {"Acme": 120.0, "Initech": 60.0, None: 120.0}


def test_reassigned_to_the_owner_its_time_counts_for_her() -> None:
    assert measured(rules("dana@corp.example")) == {"Acme": 120.0, "Initech": 60.0, "Globex": 120.0}


def test_tier_shares_and_missed_touchpoints_are_of_the_book() -> None:
    r = rules()
    span = week_window(WEEK, r.timezone)
    spec = expand_week(r, WEEK, today=date(2026, 11, 30))
    index = domain_index(r, span.start)
    actuals = measure(span, BLOCKS, MEETINGS, index)
    plan = Plan(week=WEEK, timezone=r.timezone, blocks=tuple(BLOCKS))
    book = [(a.name, a.tier) for a in r.accounts]
    card = compare(plan, spec, actuals, planned=actuals, accounts=book)
    tiers = {t.name: t.actual.minutes for t in card.tiers}
    assert tiers == {"high": 120, "low": 60}  # Globex's 120 minutes count in no tier
    everyone = [*card.top_accounts, *card.bottom_accounts]
    assert "Globex" not in {a.name for a in everyone}
    cadences = {n: t.cadence for n, t in r.tiers.items()}
    missed = missed_touchpoints(r.accounts, cadences, {}, date(2026, 12, 6))
    assert sorted(m.account for m in missed) == ["Acme", "Initech"]


def test_a_tier_with_no_account_in_the_book_is_not_judged_against_the_teams_share() -> None:
    text = textwrap.dedent(RULES).replace("{globex}", "sam@corp.example")
    text = text.replace("arr: 50000, domains", "arr: 50000, owner: sam@corp.example, domains")
    r = parse_rules(text)  # Initech, the only low-tier account, is Sam's: Dana's book is high
    assert [a.name for a in r.accounts] == ["Acme"]
    span = week_window(WEEK, r.timezone)
    spec = expand_week(r, WEEK, today=date(2026, 11, 30))
    actuals = measure(span, BLOCKS, MEETINGS, domain_index(r, span.start))
    plan = Plan(week=WEEK, timezone=r.timezone, blocks=tuple(BLOCKS))
    card = compare(plan, spec, actuals, planned=actuals, accounts=[("Acme", "high")])
    rows = {t.name: (t.actual.minutes, t.target_min, t.target_max, t.ok) for t in card.tiers}
    # all of Dana's account time is high-tier: 50-60 % scaled by the held midpoint 55 %
    assert rows["low"] == (0, 0.0, 0.0, True)
    minutes, low, high, ok = rows["high"]
    assert (minutes, round(low, 4), high, ok) == (120, round(50 / 55, 4), 1.0, True)
    assert not [f for f in scorecard(plan, spec).flags if f.startswith("tier ")]
