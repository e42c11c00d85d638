"""Lunch: fixed at 12:00 for an hour by default; a ``window`` makes it float."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import model_validator

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import TimedSpec, daily_requests, daily_slots, minutes_field
from rules.spec import HHMM, WorkingHours


class Lunch(TimedSpec):
    at: HHMM | None = time(12, 0)
    minutes: int = minutes_field(60)

    @model_validator(mode="before")
    @classmethod
    def _window_replaces_at(cls, data: Any) -> Any:
        """Giving a ``window`` means "somewhere in it": the default 12:00 then steps aside."""
        if isinstance(data, dict) and data.get("window") is not None and "at" not in data:
            return {**data, "at": None}
        return data


def _expand(rule: Lunch, ctx: WeekContext) -> list[BlockRequest]:
    return daily_requests(KIND, rule, ctx)


def _slots(rule: Lunch, hours: WorkingHours) -> list[Slot]:
    return daily_slots(rule, hours)


KIND = KindInfo(
    name="lunch",
    model=Lunch,
    defaults=KindDefaults(
        title="Lunch", quadrant=2, category="admin", color="#7986CB", priority=65
    ),
    expand=_expand,
    fixed_slots=_slots,
)
