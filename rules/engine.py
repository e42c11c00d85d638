"""Rules + an ISO week -> ``WeekSpec``: working time and every block request.

Pure: the same rules, week, ``today`` and ``contacts`` give the same spec (keys
included), which is what lets the planner keep blocks where they were.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

from blocker.core.models import BlockRequest, Category, Interval, TierTarget, WeekSpec
from blocker.core.weeks import week_dates, week_of
from rules.books import tiers_outside_book
from rules.context import WeekContext
from rules.keys import assign_keys, key_aliases
from rules.kinds.meeting_free_day import MeetingFreeDay, free_dates
from rules.money import arr_band
from rules.registry import KINDS
from rules.spec import Rules, RuleSpec
from rules.timeparse import WEEKDAYS, TimeRange
from rules.workdays import holiday_dates as holiday_dates
from rules.workdays import working_hours_on


def workdays(rules: Rules, week: str) -> dict[date, TimeRange]:
    """Working hours per date of ``week``; days off and public holidays are absent."""
    return working_hours_on(rules, week_dates(week))


def generation_day(rules: Rules, today: date) -> date:
    """The day of ``today``'s week on which next week is generated.

    ``schedule.generate_at`` names a weekday (Friday by default); when that day is
    a holiday or a day off, the last working day before it in the same week takes
    its place, so a week whose Friday is off (or a four-day week) still gets next
    week's plan before it ends. With no working day before it, the named day stays.
    """
    week = week_of(today)
    named = week_dates(week)[WEEKDAYS.index(rules.schedule.generate_at.day)]
    work = workdays(rules, week)
    if named in work:
        return named
    before = [d for d in sorted(work) if d < named]
    return before[-1] if before else named


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
    """Each tier's share range of account time as fractions, for the scorecard.

    The scorecard counts the owner's book only, so a tier none of its accounts is in
    targets none of the time (0..0), not the team's share it could never reach; the
    other tiers' ranges are scaled up so their midpoints again add up to 100 %.
    """
    tiers = tuple(rules.tiers)
    empty = set(tiers_outside_book(tiers, rules.accounts, rules.colleague_accounts))
    held = sum(sum(t.share) / 2 for name, t in rules.tiers.items() if name not in empty)
    scale = 100 / held if empty and held else 1.0
    return tuple(
        TierTarget(
            name=name,
            target_min=0.0 if name in empty else min(1.0, t.share[0] * scale / 100),
            target_max=0.0 if name in empty else min(1.0, t.share[1] * scale / 100),
            color=t.color,
            arr_band=arr_band(t.min_arr, t.max_arr, rules.currency, rules.number_format),
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
    meetings: Mapping[str, int] | None = None,
) -> WeekContext:
    """The context every kind expands against (also handy for tests and the report)."""
    dates = tuple(week_dates(week))
    work = workdays(rules, week)
    meeting_free = frozenset(
        d
        for r in rules.rules
        if isinstance(r, MeetingFreeDay)
        for d in free_dates(r, rules, dates)
        if d in work
    )
    return WeekContext(
        rules=rules,
        week=week,
        dates=dates,
        workdays=work,
        today=today,
        contacts=dict(contacts or {}),
        meeting_free=meeting_free,
        meeting_minutes=dict(meetings or {}),
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
    # the alerts the week's cap will cut do not fill their tiers: count the alerts
    # at the share the cap leaves them, so account time still gets its part
    early = tuple(req for reqs in expanded.values() for req in reqs)
    cap, _ = _alert_cap(ctx, early)
    cuttable = sum(r.minutes for r in early if r.alert and not r.cap_exempt)
    kept = min(1.0, cap / cuttable) if cap is not None and cuttable else 1.0
    tier_minutes: dict[str, int] = {}
    touched: set[str] = set()
    for reqs in expanded.values():
        for req in reqs:
            if req.tier is not None and not req.all_day:
                counted = req.minutes * (kept if req.alert and not req.cap_exempt else 1.0)
                tier_minutes[req.tier] = tier_minutes.get(req.tier, 0) + round(counted)
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


SHORT_WEEK = 0.6
"""A week with at most this share of its normal working days (3 of 5, 2 of 4) caps
its alerts pro rata even without ``alerts_max_hours``. A week with one holiday keeps
them all: the tier budget counts alert minutes before the planner cuts them in
priority order, and a 20 % cut there left tiers outside their ranges."""


def _alert_cap(ctx: WeekContext, requests: tuple[BlockRequest, ...]) -> tuple[int | None, str]:
    """The week's alert budget in minutes and where it comes from.

    ``alerts_max_hours`` is pro rata to the week's working days. Without it, a week
    left with at most :data:`SHORT_WEEK` of its working days still scales its alerts
    to the days left: the alerts the cap may cut get their share of the working
    days, never less than the largest one (at least one alert keeps its full size);
    an urgent renewal is never cut anyway.
    """
    fraction = ctx.pro_rata()
    hours = ctx.rules.alerts_max_hours
    if hours is not None:
        return round(hours * 60 * fraction), "alerts_max_hours"
    cuttable = [r.minutes for r in requests if r.alert and not r.cap_exempt]
    if fraction > SHORT_WEEK or not cuttable:
        return None, ""
    cap = max(max(cuttable), math.ceil(sum(cuttable) * fraction))
    if cap >= sum(cuttable):
        return None, ""
    normal = round(len(ctx.days()) / fraction) if fraction > 0 else 0
    return cap, f"{len(ctx.days())} of {normal} working days this week"


def expand_week(
    rules: Rules,
    week: str,
    *,
    today: date,
    contacts: Mapping[str, date] | None = None,
    meetings: Mapping[str, int] | None = None,
) -> WeekSpec:
    """Everything the planner needs for ``week`` (``2026-W49``).

    ``today`` (from the caller's clock, never the system date: the engine is pure)
    anchors the silent-account and go-live triggers when it falls inside the week;
    ``contacts`` maps account name -> last
    contact seen on the calendar, merged with the accounts file (latest wins);
    ``meetings`` maps tier -> minutes of the week's meetings already on the calendar
    with its accounts, which account time's budget counts toward the tier's share.
    """
    ctx = week_context(rules, week, today=today, contacts=contacts, meetings=meetings)
    requests = expand_requests(ctx)
    cap, source = _alert_cap(ctx, requests)
    return WeekSpec(
        week=week,
        timezone=rules.timezone,
        working=working_intervals(rules, week),
        requests=requests,
        tiers=tier_targets(rules),
        category_targets=category_targets(rules),
        rule_ids=frozenset(r.rule_id for r in rules.rules),
        alerts_max_minutes=cap,
        alerts_cap_source=source or "alerts_max_hours",
        category_margin=rules.categories.margin / 100,
        key_aliases=legacy_request_keys(rules, requests),
        others_accounts=frozenset(a.name for a in rules.colleague_accounts),
    )


def legacy_request_keys(
    rules: Rules, requests: tuple[BlockRequest, ...]
) -> tuple[tuple[str, str], ...]:
    """(old, new) key of each request of an account whose key changed (``rules.keys``).

    Request keys end ``/<ordinal>``, and an account's ordinal is its key, alone or
    followed by ``-<more>`` (``muller-sohne-gmbh-90``); only the requests of that
    account are translated, so no other account's key can be mistaken for it.
    """
    # keys were assigned over the whole file, colleagues' accounts too (rules.books)
    every = (*rules.accounts, *rules.colleague_accounts)
    renamed = key_aliases(assign_keys(a.name for a in every))
    if not renamed:
        return ()
    new_to_old = {new: old for old, new in renamed.items()}
    key_of = {a.name: a.slug for a in rules.accounts}
    out: list[tuple[str, str]] = []
    for req in requests:
        new = key_of.get(req.account or "")
        old = new_to_old.get(new or "")
        if new is None or old is None:
            continue
        head, _, ordinal = req.key.rpartition("/")
        if ordinal == new or ordinal.startswith(f"{new}-"):
            out.append((f"{head}/{old}{ordinal[len(new) :]}", req.key))
    return tuple(out)
