"""The week's goals (GEM: Goals, Eisenhower, Meetings), each asking for its time.

A goal that lives only in a list never gets done; one that is on the calendar
does. Each goal becomes one flexible, protected Busy block ("Busy · Goal: ...")
somewhere in the working week, preferring the MORNING (``preferred``) of the days
up to its ``deadline`` weekday, when energy is highest and before meetings pile
up. Important-not-urgent (Q2) by default; it outranks account time so a full week
squeezes the routine before the goals. ``week: 2026-W49`` limits a goal to one ISO
week (the Friday review writes next week's goals); without it the goal asks for
time every week. ``account`` counts the time toward that account and its tier.
Keys use the goal's title (slugged), not its position, so reordering the list
never moves a block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import time
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from blocker.core.models import BlockRequest, ConflictPolicy, Quadrant
from blocker.core.weeks import parse_week
from rules.context import KindDefaults, KindInfo, WeekContext
from rules.kinds._common import week_request
from rules.limits import MAX_NAME_LENGTH
from rules.spec import Account, Day, PlainText, RuleSpec, Strict, Window, slugify
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
        return self

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
    preferred: Window | None = TimeRange(time(9, 0), time(12, 0))
    """The morning: where goal work goes when it can (None = anywhere in the day)."""
    days: tuple[Day, ...] | None = None
    min_chunk: int = Field(default=60, ge=15, le=480)
    """A goal may be split into pieces of at least this many minutes."""
    conflict_policy: ConflictPolicy = "keep"


def find_account(accounts: Sequence[Account], name: str) -> Account | None:
    """The account a goal names, matched on its slug ("acme corp" finds "Acme Corp")."""
    wanted = slugify(name) or "account"
    return next((a for a in accounts if a.slug == wanted), None)


def _request(rule: Goals, ctx: WeekContext, goal: Goal) -> BlockRequest | None:
    days = ctx.days(rule.days)
    if not days:
        return None
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
        ordinal=goal.slug,
        minutes=goal.total_minutes,
        min_chunk=rule.min_chunk,
        window=rule.preferred,
        prefer=prefer,
        deadline=deadline,
        protected=True,
        conflict_policy=rule.conflict_policy,
        values=values,
        reason=f"goal: {goal.title}{due}" + (f" ({account.name})" if account else ""),
        **extra,
    )
    if req is not None and goal.quadrant is not None:
        req = replace(req, quadrant=goal.quadrant)
    return req


def _expand(rule: Goals, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    for goal in rule.goals:
        if goal.week is not None and goal.week != ctx.week:
            continue
        req = _request(rule, ctx, goal)
        if req is not None:
            out.append(req)
    return out


KIND = KindInfo(
    name="goals",
    model=Goals,
    defaults=KindDefaults(
        title="Goal: {goal}", quadrant=2, category="proactive", color="#8E24AA", priority=70
    ),
    expand=_expand,
)
