"""Helpers shared by the kinds: a daily block "at a time" (fixed) or "in a window"
(flexible), and a flexible request somewhere in the week (focus time, weekly
blocks, the per-account triggers), so keys and windows are built one way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any, Literal, TypeVar

from pydantic import Field, model_validator

from blocker.core.models import BlockRequest, Interval
from rules.context import KindInfo, Slot, WeekContext, request
from rules.spec import HHMM, Day, RuleSpec, Window, WorkingHours
from rules.timeparse import WEEKDAYS, TimeRange, Weekday, add_minutes

R = TypeVar("R", bound=RuleSpec)

Minutes = int

DefaultAt = Callable[[TimeRange, int], time]
"""Where a daily block goes when the rule gives neither ``at`` nor ``window``:
(the day's working hours, the block's minutes) -> its start."""


def minutes_field(default: int) -> Any:
    """A duration in minutes: at least 5, at most a (long) working day."""
    return Field(default=default, ge=5, le=16 * 60)


LastWorkingDay = Literal["last_working_day"]


class TimedSpec(RuleSpec):
    """A daily block either fixed ``at`` a time or flexible inside ``window``.

    ``day: last_working_day`` instead of ``days`` puts it on the week's last
    working day only (Thursday in a four-day week or when Friday is a holiday).
    """

    days: tuple[Day, ...] | None = None
    day: LastWorkingDay | None = None
    at: HHMM | None = None
    window: Window | None = None
    minutes: int = minutes_field(30)

    @model_validator(mode="before")
    @classmethod
    def _day_replaces_days(cls, data: Any) -> Any:
        """``day`` and ``days`` say the same thing twice; ``day`` drops a default ``days``."""
        if isinstance(data, dict) and data.get("day") is not None:
            if data.get("days") is not None:
                raise ValueError(
                    "give either 'days' (a list of weekdays) or 'day: last_working_day', not both"
                )
            return {**data, "days": None}
        return data

    def chosen_days(self, ctx: WeekContext) -> list[date]:
        """This week's working days the rule asks for."""
        days = ctx.days(self.days)
        return days[-1:] if self.day == "last_working_day" else days

    def chosen_weekdays(self, hours: WorkingHours) -> list[Weekday]:
        """The weekdays of a normal week the rule asks for (for the overlap check)."""
        days = working_weekdays(hours, self.days)
        return days[-1:] if self.day == "last_working_day" else days

    @model_validator(mode="after")
    def _at_or_window(self) -> TimedSpec:
        if self.at is not None and self.window is not None:
            raise ValueError("give either 'at' (a fixed time) or 'window' (flexible), not both")
        if self.at is not None:
            add_minutes(self.at, self.minutes)
        if self.window is not None and self.window.minutes < self.minutes:
            raise ValueError(f"window {self.window} is shorter than {self.minutes} minutes")
        return self


T = TypeVar("T", bound=TimedSpec)


def working_weekdays(hours: WorkingHours, days: tuple[Weekday, ...] | None) -> list[Weekday]:
    """The chosen weekdays (default: every day with working hours)."""
    if days is not None:
        return list(days)
    return [d for d in WEEKDAYS if hours.for_day(d) is not None]


def timed_request(
    info: KindInfo[R],
    rule: R,
    ctx: WeekContext,
    *,
    day: date,
    ordinal: int | str,
    minutes: int,
    at: time | None,
    window: TimeRange | None,
    values: dict[str, Any] | None = None,
    min_chunk: int | None = None,
    **extra: Any,
) -> BlockRequest | None:
    """A fixed request at ``at``, else a flexible one in ``window`` (or the working day),
    in one piece unless ``min_chunk`` allows splitting it."""
    if at is not None:
        start = ctx.at(day, at)
        span = Interval(start, start + timedelta(minutes=minutes))
    else:
        spans = ctx.working_spans([day], window)
        if not spans:
            return None
        span = spans[0]
        extra["min_chunk"] = min(min_chunk or minutes, minutes)
    return request(
        info,
        rule,
        ctx,
        day=day,
        ordinal=ordinal,
        minutes=minutes,
        earliest=span.start,
        latest=span.end,
        fixed=at is not None,
        values=values,
        **extra,
    )


def fixed_slots_at(
    hours: WorkingHours, days: tuple[Weekday, ...] | None, at: time | None, minutes: int
) -> list[Slot]:
    """Weekly fixed slots of a rule placed ``at`` a time (none if it is flexible)."""
    if at is None:
        return []
    return [
        Slot(day, TimeRange(at, add_minutes(at, minutes))) for day in working_weekdays(hours, days)
    ]


def daily_requests(
    info: KindInfo[T],
    rule: T,
    ctx: WeekContext,
    *,
    default_at: DefaultAt | None = None,
    min_chunk: int | None = None,
    **extra: Any,
) -> list[BlockRequest]:
    """One ``timed_request`` per chosen working day of a ``TimedSpec`` rule.

    ``default_at`` places a rule with neither ``at`` nor ``window`` relative to the
    day's working hours (start of day, end of day) instead of leaving it flexible.
    """
    out: list[BlockRequest] = []
    for day in rule.chosen_days(ctx):
        at = rule.at
        if at is None and rule.window is None and default_at is not None:
            at = default_at(ctx.workdays[day], rule.minutes)
        req = timed_request(
            info,
            rule,
            ctx,
            day=day,
            ordinal=0,
            minutes=rule.minutes,
            at=at,
            window=rule.window,
            min_chunk=min_chunk,
            **extra,
        )
        if req is not None:
            out.append(req)
    return out


def daily_slots(
    rule: TimedSpec, hours: WorkingHours, default_at: DefaultAt | None = None
) -> list[Slot]:
    """The weekly fixed slots of what ``daily_requests`` makes (none when flexible)."""
    if rule.at is not None:
        return [
            Slot(day, TimeRange(rule.at, add_minutes(rule.at, rule.minutes)))
            for day in rule.chosen_weekdays(hours)
        ]
    if rule.window is not None or default_at is None:
        return []
    out: list[Slot] = []
    for day in rule.chosen_weekdays(hours):
        span = hours.for_day(day)
        if span is not None:
            start = default_at(span, rule.minutes)
            out.append(Slot(day, TimeRange(start, add_minutes(start, rule.minutes))))
    return out


def start_of_day(hours: TimeRange, minutes: int) -> time:
    """``default_at`` for a block that opens the working day."""
    return hours.start


def end_of_day(hours: TimeRange, minutes: int) -> time:
    """``default_at`` for a block that closes the working day."""
    return add_minutes(hours.end, -minutes)


def week_request(
    info: KindInfo[R],
    rule: R,
    ctx: WeekContext,
    *,
    days: list[date],
    ordinal: int | str,
    minutes: int,
    min_chunk: int | None = None,
    window: TimeRange | None = None,
    windows: tuple[TimeRange, ...] = (),
    prefer: list[date] | None = None,
    deadline: date | None = None,
    values: dict[str, Any] | None = None,
    **extra: Any,
) -> BlockRequest | None:
    """A flexible request for ``minutes`` anywhere in the working hours of ``days``
    (None if none of them is a working day), keyed on the week's Monday.

    ``deadline`` ends the window at the end of the last working day on or before
    it (if there is one); the preferred windows are ``window`` on the ``prefer``
    days (or on all ``days``), or the whole ``prefer`` days when ``window`` is
    None. ``windows`` is several of them in order of preference (the planner
    fills the first on every preferred day before it tries the second). It comes
    in one piece unless ``min_chunk`` allows splitting it.
    """
    spans = ctx.working_spans(days)
    if not spans:
        return None
    latest = spans[-1].end
    if deadline is not None:
        before = ctx.working_spans([d for d in days if d <= deadline])
        if before:
            latest = before[-1].end
    ranked = windows or ((window,) if window is not None else ())
    preferred: list[Interval] = []
    ranks: list[int] = []
    if prefer is not None or ranked:
        for rank, one in enumerate(ranked or (None,)):
            spans_in = ctx.working_spans(days if prefer is None else prefer, one)
            preferred += spans_in
            ranks += [rank] * len(spans_in)
    if len(ranked) > 1:
        extra["preferred_rank"] = tuple(ranks)
    return request(
        info,
        rule,
        ctx,
        day=ctx.monday,
        ordinal=ordinal,
        minutes=minutes,
        earliest=spans[0].start,
        latest=latest,
        fixed=False,
        min_chunk=min(min_chunk or minutes, minutes),
        preferred=tuple(preferred),
        values=values,
        **extra,
    )
