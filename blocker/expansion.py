"""How a week's spec is expanded from what the calendar held before it.

A week's triggers depend on the calendar's past: the last contact per account
(silent accounts, issue 11) and the meetings per tier in the seven days before the
week's generation (the tier budget, issue 15.1). The sync engine reads that past
with the week in one read (:class:`blocker.sync.Expansion`); this module says how
the spec is computed from it, for the runtime and for the CLI's ``plan`` and
``report`` (:func:`calendar_facts` from .ics files), so both judge a week alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
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
    # the tier budget counts the seven days of meetings before the week's
    # generation (frozen once it has passed: no change without a cause, issue 15.1)
    generated = generation_of(rules, week_window(week, rules.timezone).start)

    def expand(past: Sequence[Busy], before: datetime) -> WeekSpec:
        contacts, meetings = calendar_facts(rules, past, before=before, generated=generated)
        spec: WeekSpec = expand_week(rules, week, today=today, contacts=contacts, meetings=meetings)
        return spec

    return Expansion(week=week, timezone=rules.timezone, expand=expand)


def calendar_facts(
    rules: Rules, past: Sequence[Busy], *, before: datetime, generated: datetime
) -> tuple[dict[str, date], dict[str, int]]:
    """(last contact per account, meeting minutes per tier) from the ``past`` meetings.

    ``before``: contacts are counted up to then (the week's Monday at the latest);
    ``generated``: when the week is generated (:func:`generation_of`): the tier
    budget counts the seven days before it, frozen once it has passed.
    """
    index = DomainIndex(
        rules.accounts, tuple(rules.owner.email_domains), colleagues=rules.colleague_accounts
    )
    recent = Interval(generated - timedelta(days=7), generated)
    return (
        last_contacts(past, index, before=before, timezone=rules.timezone),
        tier_meetings(past, index, recent),
    )


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
    return DomainIndex(
        rules.accounts, rules.owner.email_domains, urgent, colleagues=rules.colleague_accounts
    )


def generation_of(rules: Rules, week_start: datetime) -> datetime:
    """When ``schedule.generate_at`` generates the week starting ``week_start``: that
    weekday and time in the seven days before it (``fri 15:00``: the Friday before)."""
    when = rules.schedule.generate_at
    monday = week_start.astimezone(rules.tz).date()
    day = monday - timedelta(days=7 - WEEKDAYS.index(when.day))
    return datetime.combine(day, when.at, tzinfo=rules.tz)


__all__ = ["calendar_facts", "domain_index", "generation_of", "week_expansion"]
