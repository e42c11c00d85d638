"""Morning health review: blocked tasks, silent accounts, health changes, go-lives.

A fixed block at the start of each working day (or ``at`` a set time) so the day
starts proactive instead of in the inbox.
"""

from __future__ import annotations

from blocker.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import TimedSpec, fixed_slots_at, timed_request, working_weekdays
from rules.spec import WorkingHours
from rules.timeparse import TimeRange, add_minutes


class MorningProactive(TimedSpec):
    """``at`` defaults to the start of working hours; ``window`` makes it flexible."""


def _expand(rule: MorningProactive, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    for day in ctx.days(rule.days):
        hours = ctx.workdays[day]
        at = rule.at if (rule.at is not None or rule.window is not None) else hours.start
        req = timed_request(
            KIND, rule, ctx, day=day, ordinal=0, minutes=rule.minutes, at=at, window=rule.window
        )
        if req is not None:
            out.append(req)
    return out


def _slots(rule: MorningProactive, hours: WorkingHours) -> list[Slot]:
    if rule.window is not None:
        return []
    if rule.at is not None:
        return fixed_slots_at(hours, rule.days, rule.at, rule.minutes)
    out: list[Slot] = []
    for day in working_weekdays(hours, rule.days):
        span = hours.for_day(day)
        if span is not None:
            out.append(Slot(day, TimeRange(span.start, add_minutes(span.start, rule.minutes))))
    return out


KIND = KindInfo(
    name="morning_proactive",
    model=MorningProactive,
    defaults=KindDefaults(
        title="Morning health review",
        quadrant=2,
        category="proactive",
        color="#33B679",
        priority=70,
    ),
    expand=_expand,
    fixed_slots=_slots,
)
