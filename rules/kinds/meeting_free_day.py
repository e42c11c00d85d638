"""Meeting-free day (Friday by default) for deep work, admin and the weekly review.

One protected all-day marker shown Busy; the engine also drops every meeting-like
block (call windows, QBRs, internal meetings) from that day.
"""

from __future__ import annotations

from datetime import time, timedelta

from blocker.core.models import BlockRequest, ConflictPolicy
from rules.context import KindDefaults, KindInfo, WeekContext, day_minutes, request
from rules.spec import Day, RuleSpec


class MeetingFreeDay(RuleSpec):
    day: Day = "fri"
    conflict_policy: ConflictPolicy = "keep"


def _expand(rule: MeetingFreeDay, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    for day in ctx.days((rule.day,)):
        start = ctx.at(day, time(0))
        end = ctx.at(day + timedelta(days=1), time(0))
        out.append(
            request(
                KIND,
                rule,
                ctx,
                day=day,
                ordinal=0,
                minutes=day_minutes(ctx, day),
                earliest=start,
                latest=end,
                fixed=True,
                all_day=True,
                protected=True,
                conflict_policy=rule.conflict_policy,
            )
        )
    return out


def meeting_free_weekdays(rules: list[RuleSpec]) -> set[str]:
    """Weekdays some meeting_free_day rule protects (the engine filters on these)."""
    return {rule.day for rule in rules if isinstance(rule, MeetingFreeDay)}


KIND = KindInfo(
    name="meeting_free_day",
    model=MeetingFreeDay,
    defaults=KindDefaults(
        title="Meeting-free day", quadrant=2, category="proactive", color="#3F51B5", priority=90
    ),
    expand=_expand,
)
