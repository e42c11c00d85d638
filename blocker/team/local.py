"""A member's weeks from their own rules file and local .ics calendar, without the store.

The lead's CLI reads each member's rules file (with its own calendar files), so
no member's state is written or mixed into the lead's database. The planned side
of a week is the week as it was generated (:func:`blocker.expansion.generation_of`,
or now for a week not generated yet), planned again from the calendar; the
actual side is what the calendar holds (``blocker.week_report``, like the
dashboard's). The store-backed source (per-user rules, being built) feeds the same
:class:`~blocker.team.summary.MemberWeek`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from blocker.actuals import history_window, observed
from blocker.core.errors import SettingsError
from blocker.core.models import Interval
from blocker.core.weeks import week_window
from blocker.expansion import calendar_facts, generation_of
from blocker.outcomes import Preview
from blocker.planner import plan_week
from blocker.settings import Settings
from blocker.team.summary import MemberWeek
from blocker.week_report import week_report
from providers.local import LocalCalendar
from rules import Rules, load_rules
from rules.engine import expand_week

TREND_WEEKS = 8


def member_name(rules: Rules, config: Path) -> str:
    """How a member is named to their lead: their name, else address, else the file."""
    return rules.owner.name or (rules.owner.email[0] if rules.owner.email else config.stem)


def local_calendar(rules: Rules, settings: Settings) -> LocalCalendar:
    """The member's first calendar, which must be a local .ics file (read only)."""
    cal = rules.calendars[0] if rules.calendars else None
    if cal is None or cal.provider != "local" or not cal.path:
        raise SettingsError(
            "a member's rules file needs a local calendar first under `calendars:` "
            "(Google/Outlook members are summarised from the store)"
        )
    owner = rules.owner
    return LocalCalendar(
        rules.resolve_path(cal.path),
        [rules.resolve_path(b) for b in cal.busy],
        owner_emails=tuple(owner.email),
        owner_domains=tuple(owner.email_domains),
        tentative=owner.tentative,
        limits=settings.ics_limits(),
    )


def member_week(rules: Rules, provider: LocalCalendar, week: str, now: datetime) -> MemberWeek:
    """One week's scorecard of a member, computed from their files only."""
    span = week_window(week, rules.timezone)
    generated = generation_of(rules, span.start)
    planned_at = min(now, generated, key=lambda d: d.timestamp())
    window = history_window(week, rules.timezone)
    read = provider.read(window)  # one read serves the plan and the actual side
    seen = observed(read)
    upto = min(planned_at, span.start, key=lambda d: d.timestamp())
    contacts, meetings = calendar_facts(rules, seen.foreign, before=upto, generated=generated)
    today = planned_at.astimezone(rules.tz).date()
    spec = expand_week(rules, week, today=today, contacts=contacts, meetings=meetings)
    busy = tuple(b for b in seen.foreign if b.blocks_time and _overlaps(b.interval, span))
    plan = plan_week(spec, busy=busy, now=planned_at)
    preview = Preview(plan=plan, spec=spec, busy=busy, seen=read, window=window)
    card = week_report(rules, week, preview, now=now, applied=(), provider=provider)
    asked = sum(r.minutes for r in spec.requests if r.protected and not r.all_day)
    return MemberWeek(week=week, card=card, focus_asked=asked)


def _overlaps(a: Interval, b: Interval) -> bool:
    return a.start.timestamp() < b.end.timestamp() and b.start.timestamp() < a.end.timestamp()


def member_weeks(
    config: Path, weeks: list[str], now: datetime, settings: Settings
) -> tuple[str, list[MemberWeek]]:
    """(member name, each of ``weeks``) from a member's rules file."""
    rules = load_rules(config, limits=settings.rules_limits())
    provider = local_calendar(rules, settings)
    return member_name(rules, config), [member_week(rules, provider, w, now) for w in weeks]


__all__ = ["TREND_WEEKS", "member_name", "member_week", "member_weeks"]
