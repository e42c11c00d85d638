"""Rules + an ISO week -> ``WeekSpec``: working time and every block request.

Pure: the same rules, week, ``today`` and ``contacts`` give the same spec (keys
included), which is what lets the planner keep blocks where they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

import holidays as holidays_lib

from blocker.core.models import BlockRequest, Category, Interval, TierTarget, WeekSpec
from blocker.core.weeks import week_dates
from rules.context import WeekContext
from rules.kinds.meeting_free_day import MeetingFreeDay
from rules.registry import KINDS
from rules.spec import HolidaySpec, Rules, RuleSpec
from rules.timeparse import WEEKDAYS, TimeRange


def holiday_dates(spec: HolidaySpec | None, days: list[date]) -> dict[date, str]:
    """Public holidays among ``days`` (name by date), from the ``holidays`` package."""
    if spec is None or not days:
        return {}
    years = sorted({d.year for d in days})
    calendar = holidays_lib.country_holidays(spec.country, subdiv=spec.subdivision, years=years)
    return {d: str(calendar.get(d)) for d in days if d in calendar}


def workdays(rules: Rules, week: str) -> dict[date, TimeRange]:
    """Working hours per date of ``week``; days off and public holidays are absent."""
    days = week_dates(week)
    off = holiday_dates(rules.holidays, days)
    out: dict[date, TimeRange] = {}
    for day in days:
        hours = rules.working_hours.for_day(WEEKDAYS[day.weekday()])
        if hours is not None and day not in off:
            out[day] = hours
    return out


def working_intervals(rules: Rules, week: str) -> tuple[Interval, ...]:
    """The week's working time as aware intervals in the rules' zone (DST-correct)."""
    tz = rules.tz
    return tuple(
        Interval(
            datetime.combine(day, hours.start, tzinfo=tz),
            datetime.combine(day, hours.end, tzinfo=tz),
        )
        for day, hours in sorted(workdays(rules, week).items())
    )


def tier_targets(rules: Rules) -> tuple[TierTarget, ...]:
    """Each tier's share range of account time as fractions, for the scorecard."""
    return tuple(
        TierTarget(
            name=name, target_min=t.share[0] / 100, target_max=t.share[1] / 100, color=t.color
        )
        for name, t in rules.tiers.items()
    )


def category_targets(rules: Rules) -> tuple[tuple[Category, float], ...]:
    c = rules.categories
    return (
        ("proactive", c.proactive / 100),
        ("reactive", c.reactive / 100),
        ("admin", c.admin / 100),
    )


def week_context(
    rules: Rules,
    week: str,
    *,
    today: date,
    contacts: Mapping[str, date] | None = None,
) -> WeekContext:
    """The context every kind expands against (also handy for tests and the report)."""
    dates = tuple(week_dates(week))
    work = workdays(rules, week)
    free_days = {r.day for r in rules.rules if isinstance(r, MeetingFreeDay)}
    meeting_free = frozenset(d for d in dates if WEEKDAYS[d.weekday()] in free_days and d in work)
    return WeekContext(
        rules=rules,
        week=week,
        dates=dates,
        workdays=work,
        today=today,
        contacts=dict(contacts or {}),
        meeting_free=meeting_free,
    )


def _expand_rule(rule: RuleSpec, ctx: WeekContext) -> list[BlockRequest]:
    info = KINDS[rule.kind]
    meeting_like = info.meeting_like or bool(getattr(rule, "meeting_like", False))
    return [
        req
        for req in info.expand(rule, ctx)
        if not (meeting_like and req.earliest.astimezone(ctx.tz).date() in ctx.meeting_free)
    ]


def expand_requests(ctx: WeekContext) -> tuple[BlockRequest, ...]:
    """Every rule's requests, meeting-like ones dropped on meeting-free days.

    ``late`` kinds (account time) expand last and see the minutes per tier the
    others asked for, so the week's total per tier can land in its target range;
    the output keeps the order of the rules.
    """
    rules = ctx.rules.rules
    late = [KINDS[rule.kind].late for rule in rules]
    expanded: dict[int, list[BlockRequest]] = {}
    for index, rule in enumerate(rules):
        if not late[index]:
            expanded[index] = _expand_rule(rule, ctx)
    tier_minutes: dict[str, int] = {}
    touched: set[str] = set()
    for reqs in expanded.values():
        for req in reqs:
            if req.tier is not None and not req.all_day:
                tier_minutes[req.tier] = tier_minutes.get(req.tier, 0) + req.minutes
            if req.account is not None:
                touched.add(req.account)
    late_ctx = replace(ctx, tier_minutes=tier_minutes, touched=frozenset(touched))
    for index, rule in enumerate(rules):
        if late[index]:
            expanded[index] = _expand_rule(rule, late_ctx)
    out: list[BlockRequest] = []
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        for req in expanded[index]:
            if req.key in seen:
                raise ValueError(f"duplicate block key {req.key!r} from rule {rule.rule_id!r}")
            seen.add(req.key)
            out.append(req)
    return tuple(out)


def _alert_cap(rules: Rules, week: str) -> int | None:
    """``alerts_max_hours`` in minutes, pro rata to the week's working days."""
    if rules.alerts_max_hours is None:
        return None
    days = len(workdays(rules, week))
    return round(rules.alerts_max_hours * 60 * days / 5)


def expand_week(
    rules: Rules,
    week: str,
    *,
    today: date,
    contacts: Mapping[str, date] | None = None,
) -> WeekSpec:
    """Everything the planner needs for ``week`` (``2026-W49``).

    ``today`` (from the caller's clock, never the system date: the engine is pure)
    anchors the silent-account and go-live triggers when it falls inside the week;
    ``contacts`` maps account name -> last
    contact seen on the calendar, merged with the accounts file (latest wins).
    """
    ctx = week_context(rules, week, today=today, contacts=contacts)
    return WeekSpec(
        week=week,
        timezone=rules.timezone,
        working=working_intervals(rules, week),
        requests=expand_requests(ctx),
        tiers=tier_targets(rules),
        category_targets=category_targets(rules),
        rule_ids=frozenset(r.rule_id for r in rules.rules),
        alerts_max_minutes=_alert_cap(rules, week),
        category_margin=rules.categories.margin / 100,
    )
