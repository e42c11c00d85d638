"""Weekly review on Friday: the scorecard, next week's goals, the book of business."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import model_validator

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import TimedSpec, daily_requests, daily_slots, minutes_field
from rules.spec import Day, Window, WorkingHours
from rules.timeparse import TimeRange


class WeeklyReview(TimedSpec):
    days: tuple[Day, ...] | None = ("fri",)
    window: Window | None = TimeRange(time(13, 30), time(16, 0))
    minutes: int = minutes_field(60)

    @model_validator(mode="before")
    @classmethod
    def _at_replaces_window(cls, data: Any) -> Any:
        """Giving ``at`` pins the review: the default window then steps aside."""
        if isinstance(data, dict) and data.get("at") is not None and "window" not in data:
            return {**data, "window": None}
        return data


def _expand(rule: WeeklyReview, ctx: WeekContext) -> list[BlockRequest]:
    return daily_requests(KIND, rule, ctx)


def _slots(rule: WeeklyReview, hours: WorkingHours) -> list[Slot]:
    return daily_slots(rule, hours)


KIND = KindInfo(
    name="weekly_review",
    model=WeeklyReview,
    defaults=KindDefaults(
        title="Weekly review", quadrant=2, category="admin", color="#9E69AF", priority=75
    ),
    expand=_expand,
    fixed_slots=_slots,
)
