"""The week's goals (GEM: Goals, Eisenhower, Meetings), each asking for its time.

A goal that lives only in a list never gets done; one that is on the calendar
does. Each goal becomes one flexible, protected Busy block ("Busy · Goal: ...")
somewhere in the working week, preferring the MORNING (``preferred``) of the days
up to its ``deadline`` weekday, when energy is highest and before meetings pile
up. Important-not-urgent (Q2) by default; it outranks account time so a full week
squeezes the routine before the goals. ``week: 2026-W49`` limits a goal to one ISO
week (the Friday review writes next week's goals); without it the goal asks for
time every week, scaled to the week's working days (a holiday week asks less,
never below one chunk). ``per: month`` / ``per: quarter`` (or ``month: 2026-12``,
``quarter: 2026-Q4`` for one period only) spread the goal's time over the weeks of
the period by their working days (``rules.kinds._periods``). ``account`` counts
the time toward that account and its tier. Keys use the goal's title (slugged),
not its position, so reordering the list never moves a block; the same title may
come back in another week or period (its keys carry the week, and the period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, time
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from blocker.core.models import BlockRequest, ConflictPolicy, Quadrant
from blocker.core.weeks import parse_week
from rules.context import KindDefaults, KindInfo, WeekContext
from rules.keys import account_key, same_name
from rules.kinds._common import week_request
from rules.kinds._periods import (
    Per,
    Period,
    parse_month,
    parse_quarter,
    periods_touching,
    week_share,
)
from rules.limits import MAX_NAME_LENGTH
from rules.spec import Account, Day, PlainText, RuleSpec, Strict, Windows, slugify
from rules.timeparse import WEEKDAYS, TimeRange


def _iso_week(value: object) -> str:
    """``2026-W49`` (checked: the year has that week); anything else is an error."""
    if not isinstance(value, str):
        raise ValueError(f"invalid week {value!r}: expected YYYY-Www, e.g. 2026-W49")
    text = value.strip().upper()
    try:
        parse_week(text)
    except ValueError as exc:  # name the value as the user wrote it
        raise ValueError(str(exc).replace(repr(text), repr(value))) from None
    return text


IsoWeek = Annotated[str, BeforeValidator(_iso_week)]
IsoMonth = Annotated[str, BeforeValidator(parse_month)]
IsoQuarter = Annotated[str, BeforeValidator(parse_quarter)]


class Goal(Strict):
    """One goal of the week and the time it needs."""

    title: PlainText = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    minutes: int | None = Field(default=None, ge=5, le=40 * 60)
    hours: float | None = Field(default=None, gt=0, le=40)
    account: str | None = None
    deadline: Day | None = None
    """Done by the end of this weekday (its last working day on or before it)."""
    week: IsoWeek | None = None
    """Only this ISO week; None = every week."""
    per: Per | None = None
    """The goal's time is for a week (default), a month or a quarter."""
    month: IsoMonth | None = None
    """Only this month (``2026-12``); implies ``per: month``."""
    quarter: IsoQuarter | None = None
    """Only this quarter (``2026-Q4``); implies ``per: quarter``."""
    quadrant: Quadrant | None = None
    """Overrides the rule's and the kind's quadrant (default 2) for this goal."""

    @model_validator(mode="after")
    def _has_time(self) -> Goal:
        if self.minutes is None and self.hours is None:
            raise ValueError(
                f"goal {self.title!r} has no time: give 'minutes' or 'hours' (e.g. hours: 2)"
            )
        if self.minutes is not None and self.hours is not None:
            raise ValueError(f"goal {self.title!r}: give 'minutes' or 'hours', not both")
        if self.hours is not None and round(self.hours * 60) < 5:
            raise ValueError(f"goal {self.title!r}: at least 5 minutes")
        pins = [name for name in ("week", "month", "quarter") if getattr(self, name) is not None]
        if len(pins) > 1:
            raise ValueError(f"goal {self.title!r}: give one of {' or '.join(pins)}, not both")
        if pins and self.per is not None and self.per != pins[0]:
            raise ValueError(
                f"goal {self.title!r}: per: {self.per} does not go with {pins[0]}: "
                f"{getattr(self, pins[0])} (drop 'per' or write per: {pins[0]})"
            )
        return self

    @property
    def period(self) -> Per:
        """What the goal's time is for: a week, a month or a quarter."""
        if self.month is not None:
            return "month"
        if self.quarter is not None:
            return "quarter"
        return self.per or "week"

    @property
    def pin(self) -> str | None:
        """The one week, month or quarter the goal is for (None: every one)."""
        return self.week or self.month or self.quarter

    @property
    def total_minutes(self) -> int:
        if self.minutes is not None:
            return self.minutes
        assert self.hours is not None
        return round(self.hours * 60)

    @property
    def slug(self) -> str:
        return slugify(self.title) or "goal"


class Goals(RuleSpec):
    goals: tuple[Goal, ...] = ()
    preferred: Windows = (TimeRange(time(9, 0), time(12, 0)),)
    """The morning: where goal work goes when it can; a list is tried in order
    (null = anywhere in the day)."""
    days: tuple[Day, ...] | None = None
    min_chunk: int = Field(default=60, ge=15, le=480)
    """A goal may be split into pieces of at least this many minutes."""
    conflict_policy: ConflictPolicy = "keep"


def find_account(accounts: Sequence[Account], name: str) -> Account | None:
    """The account a goal names: by name (case and spacing aside), else by key
    ("acme corp" finds "Acme Corp", "muller sohne gmbh" finds "Müller & Söhne GmbH")."""
    wanted = same_name(name)
    found = next((a for a in accounts if same_name(a.name) == wanted), None)
    if found is not None:
        return found
    key = account_key(name)
    return next((a for a in accounts if a.slug == key), None)


SCALE_STEP = 15
"""A weekly goal scaled to a short week is rounded to quarter hours."""


def _request(
    rule: Goals,
    ctx: WeekContext,
    goal: Goal,
    days: list[date],
    minutes: int,
    *,
    ordinal: str,
    scope: str,
) -> BlockRequest | None:
    """One goal's request over ``days`` (this week's working days of its period)."""
    prefer, deadline, due = days, None, ""
    if goal.deadline is not None:
        cutoff = WEEKDAYS.index(goal.deadline)
        before = [d for d in days if d.weekday() <= cutoff]
        if before:
            prefer, deadline, due = before, before[-1], f" by {before[-1]:%a %d %b}"
        else:  # its day is past (or off) this week: first thing, but anywhere beats never
            prefer, due = days[:1], f" (no working day up to {goal.deadline}: first thing)"
    values: dict[str, Any] = {"goal": goal.title, "deadline": goal.deadline or ""}
    extra: dict[str, Any] = {}
    account = find_account(ctx.rules.accounts, goal.account) if goal.account else None
    if account is not None:
        values |= {"account": account.name, "tier": account.tier}
        extra = {"account": account.name, "tier": account.tier}
    req = week_request(
        KIND,
        rule,
        ctx,
        days=days,
        ordinal=ordinal,
        minutes=minutes,
        min_chunk=rule.min_chunk,
        windows=rule.preferred,
        prefer=prefer,
        deadline=deadline,
        protected=True,
        conflict_policy=rule.conflict_policy,
        values=values,
        reason=f"goal: {goal.title}{due}" + (f" ({account.name})" if account else "") + scope,
        **extra,
    )
    if req is not None and goal.quadrant is not None:
        req = replace(req, quadrant=goal.quadrant)
    return req


def _weekly(rule: Goals, ctx: WeekContext, goal: Goal) -> BlockRequest | None:
    """A weekly goal; an every-week one scales to the week's working days (a
    holiday week asks its share, never less than one chunk), a one-week one is
    what the user wrote for that week."""
    days = ctx.days(rule.days)
    if not days:
        return None
    total, scope = goal.total_minutes, ""
    fraction = ctx.pro_rata(rule.days)
    if goal.week is None and fraction < 1:
        floor = min(total, rule.min_chunk)
        minutes = max(floor, round(total * fraction / SCALE_STEP) * SCALE_STEP)
        if minutes < total:
            count = f"{len(days)} working day{'s' if len(days) != 1 else ''}"
            scope = f"; {minutes} of {total} min: {count} this week"
        total = min(total, minutes)
    return _request(rule, ctx, goal, days, total, ordinal=goal.slug, scope=scope)


def _periodic(rule: Goals, ctx: WeekContext, goal: Goal, period: Period) -> BlockRequest | None:
    """This week's share of a monthly or quarterly goal, on its days in the period."""
    days = [d for d in ctx.days(rule.days) if period.first <= d <= period.last]
    if not days:
        return None
    unit = min(rule.min_chunk, goal.total_minutes)
    minutes = week_share(ctx.rules, period, ctx.monday, goal.total_minutes, unit, rule.days)
    if minutes <= 0:
        return None
    scope = f"; {minutes} of {goal.total_minutes} min for {period.label}"
    ordinal = f"{goal.slug}-{period.label.lower()}"
    return _request(rule, ctx, goal, days, minutes, ordinal=ordinal, scope=scope)


def _expand(rule: Goals, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest | None] = []
    for goal in rule.goals:
        per = goal.period
        if per == "week":
            if goal.week is None or goal.week == ctx.week:
                out.append(_weekly(rule, ctx, goal))
            continue
        for period in periods_touching(per, ctx.dates):
            if goal.pin is None or goal.pin == period.label:
                out.append(_periodic(rule, ctx, goal, period))
    return [req for req in out if req is not None]


KIND = KindInfo(
    name="goals",
    model=Goals,
    defaults=KindDefaults(
        title="Goal: {goal}", quadrant=2, category="proactive", color="#8E24AA", priority=70
    ),
    expand=_expand,
)
