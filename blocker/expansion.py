"""How a week's spec is expanded from what the calendar held before it.

A week's triggers depend on the calendar's past: the last contact per account
(silent accounts, issue 11) and the meetings per tier in the seven days before the
week's generation (the tier budget, issue 15.1). The sync engine reads that past
with the week in one read (:class:`blocker.sync.Expansion`); this module says how
the spec is computed from it, for the runtime and for the CLI's ``plan`` and
``report``, so both judge a week alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from blocker.actuals import DomainIndex, last_contacts, tier_meetings
from blocker.core.eisenhower import urgent_accounts
from blocker.core.models import Busy, Interval, WeekSpec
from blocker.core.weeks import week_window
from blocker.sync import Expansion
from rules import Rules
from rules.engine import expand_week
from rules.timeparse import WEEKDAYS


def week_expansion(rules: Rules, week: str, now: datetime) -> Expansion:
    """How the sync engine expands ``week`` from the run's one read: the foreign
    meetings before the week give each account's last contact, fed to the
    silent-account trigger; ``today`` is the planning day in the rules' zone."""
    today = now.astimezone(ZoneInfo(rules.timezone)).date()
    index = DomainIndex(rules.accounts, rules.owner.email_domains)
    # the tier budget counts the seven days of meetings before the week's
    # generation (frozen once it has passed: no change without a cause, issue 15.1)
    generated = generation_of(rules, week_window(week, rules.timezone).start)
    recent = Interval(generated - timedelta(days=7), generated)

    def expand(past: Sequence[Busy], before: datetime) -> WeekSpec:
        contacts = last_contacts(past, index, before=before, timezone=rules.timezone)
        meetings = tier_meetings(past, index, recent)
        spec: WeekSpec = expand_week(rules, week, today=today, contacts=contacts, meetings=meetings)
        return spec

    return Expansion(week=week, timezone=rules.timezone, expand=expand)


def domain_index(rules: Rules, week_start: datetime) -> DomainIndex:
    """Accounts by domain, with those renewing soon or at risk on the week's Monday
    (their meetings are Q1 in the report, see blocker.core.eisenhower)."""
    mood = rules.eisenhower
    urgent = urgent_accounts(
        rules.accounts,
        week_start.astimezone(rules.tz).date(),
        at_risk_health=mood.at_risk_health,
        renewal_within_days=mood.renewal_within_days,
    )
    return DomainIndex(rules.accounts, rules.owner.email_domains, urgent)


def generation_of(rules: Rules, week_start: datetime) -> datetime:
    """When ``schedule.generate_at`` generates the week starting ``week_start``: that
    weekday and time in the seven days before it (``fri 15:00``: the Friday before)."""
    when = rules.schedule.generate_at
    monday = week_start.astimezone(rules.tz).date()
    day = monday - timedelta(days=7 - WEEKDAYS.index(when.day))
    return datetime.combine(day, when.at, tzinfo=rules.tz)


__all__ = ["domain_index", "generation_of", "week_expansion"]
