"""Protected focus time: 4-6 hours a week of Q2 work, in the morning by default.

One flexible weekly request the planner splits into chunks of ``min_chunk`` to
``max_chunk`` minutes; shown Busy and protected. The hours scale pro rata to
the working days of the week (a holiday week asks for less). ``conflict_policy: keep`` holds
the block when a meeting lands on it, ``yield`` lets the planner move it.
"""

from __future__ import annotations

from datetime import time

from pydantic import Field, model_validator

from blocker.core.models import BlockRequest, ConflictPolicy
from rules.context import KindDefaults, KindInfo, WeekContext
from rules.kinds._common import week_request
from rules.spec import Day, RuleSpec, Windows
from rules.timeparse import TimeRange


class FocusTime(RuleSpec):
    hours: float = Field(default=5, gt=0, le=20)
    min_chunk: int = Field(default=60, ge=15, le=480)
    max_chunk: int | None = Field(default=180, ge=15, le=600)
    preferred: Windows = (TimeRange(time(9, 0), time(12, 0)),)
    """One window or a list, most preferred first (null = anywhere in the day)."""
    days: tuple[Day, ...] | None = None
    conflict_policy: ConflictPolicy = "keep"

    @model_validator(mode="after")
    def _chunks(self) -> FocusTime:
        if self.max_chunk is not None and self.max_chunk < self.min_chunk:
            raise ValueError("max_chunk must be at least min_chunk")
        return self


def _expand(rule: FocusTime, ctx: WeekContext) -> list[BlockRequest]:
    # pro rata, in half hours: a holiday week asks for its share of the weekly hours
    minutes = round(rule.hours * 60 * ctx.pro_rata(rule.days) / 30) * 30
    if minutes <= 0:
        return []
    req = week_request(
        KIND,
        rule,
        ctx,
        days=ctx.days(rule.days),
        ordinal=0,
        minutes=minutes,
        min_chunk=rule.min_chunk,
        windows=rule.preferred,
        max_chunk=rule.max_chunk,
        protected=True,
        conflict_policy=rule.conflict_policy,
        values={"hours": rule.hours},
    )
    return [req] if req is not None else []


KIND = KindInfo(
    name="focus_time",
    model=FocusTime,
    defaults=KindDefaults(
        title="Focus time", quadrant=2, category="proactive", color="#0B8043", priority=80
    ),
    expand=_expand,
)
