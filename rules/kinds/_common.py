"""Helpers shared by the template kinds: "at a time" (fixed) or "in a window" (flexible)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any, TypeVar

from pydantic import Field, model_validator

from blocker.models import BlockRequest
from rules.context import KindInfo, Slot, WeekContext, request
from rules.spec import HHMM, Day, RuleSpec, Window, WorkingHours
from rules.timeparse import WEEKDAYS, TimeRange, Weekday, add_minutes

R = TypeVar("R", bound=RuleSpec)

Minutes = int


def minutes_field(default: int) -> Any:
    """A duration in minutes: at least 5, at most a (long) working day."""
    return Field(default=default, ge=5, le=16 * 60)


class TimedSpec(RuleSpec):
    """A daily block either fixed ``at`` a time or flexible inside ``window``."""

    days: tuple[Day, ...] | None = None
    at: HHMM | None = None
    window: Window | None = None
    minutes: int = minutes_field(30)

    @model_validator(mode="after")
    def _at_or_window(self) -> TimedSpec:
        if self.at is not None and self.window is not None:
            raise ValueError("give either 'at' (a fixed time) or 'window' (flexible), not both")
        if self.at is not None:
            add_minutes(self.at, self.minutes)
        if self.window is not None and self.window.minutes < self.minutes:
            raise ValueError(f"window {self.window} is shorter than {self.minutes} minutes")
        return self


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
        return request(
            info,
            rule,
            ctx,
            day=day,
            ordinal=ordinal,
            minutes=minutes,
            earliest=start,
            latest=start + timedelta(minutes=minutes),
            fixed=True,
            values=values,
            **extra,
        )
    spans = ctx.working_spans([day], window)
    if not spans:
        return None
    return request(
        info,
        rule,
        ctx,
        day=day,
        ordinal=ordinal,
        minutes=minutes,
        earliest=spans[0].start,
        latest=spans[0].end,
        fixed=False,
        min_chunk=min(min_chunk or minutes, minutes),
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
