"""End-of-day wrap-up: notes, CRM updates, tomorrow's plan, so nothing leaks overnight.

Fixed at the end of working hours by default (``at`` or ``window`` override it).
"""

from __future__ import annotations

from blocker.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import (
    TimedSpec,
    fixed_slots_at,
    minutes_field,
    timed_request,
    working_weekdays,
)
from rules.spec import WorkingHours
from rules.timeparse import TimeRange, add_minutes


class WrapUp(TimedSpec):
    minutes: int = minutes_field(15)


def _expand(rule: WrapUp, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    for day in ctx.days(rule.days):
        hours = ctx.workdays[day]
        at = rule.at
        if at is None and rule.window is None:
            at = add_minutes(hours.end, -rule.minutes)
        req = timed_request(
            KIND, rule, ctx, day=day, ordinal=0, minutes=rule.minutes, at=at, window=rule.window
        )
        if req is not None:
            out.append(req)
    return out


def _slots(rule: WrapUp, hours: WorkingHours) -> list[Slot]:
    if rule.window is not None:
        return []
    if rule.at is not None:
        return fixed_slots_at(hours, rule.days, rule.at, rule.minutes)
    out: list[Slot] = []
    for day in working_weekdays(hours, rule.days):
        span = hours.for_day(day)
        if span is not None:
            out.append(Slot(day, TimeRange(add_minutes(span.end, -rule.minutes), span.end)))
    return out


KIND = KindInfo(
    name="wrap_up",
    model=WrapUp,
    defaults=KindDefaults(
        title="End-of-day wrap-up", quadrant=2, category="admin", color="#616161", priority=60
    ),
    expand=_expand,
    fixed_slots=_slots,
)
