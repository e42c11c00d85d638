"""Lunch: fixed at 12:00 for an hour by default; a ``window`` makes it float."""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import model_validator

from blocker.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import TimedSpec, fixed_slots_at, minutes_field, timed_request
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
    out: list[BlockRequest] = []
    for day in ctx.days(rule.days):
        req = timed_request(
            KIND,
            rule,
            ctx,
            day=day,
            ordinal=0,
            minutes=rule.minutes,
            at=rule.at,
            window=rule.window,
        )
        if req is not None:
            out.append(req)
    return out


def _slots(rule: Lunch, hours: WorkingHours) -> list[Slot]:
    return fixed_slots_at(hours, rule.days, rule.at, rule.minutes)


KIND = KindInfo(
    name="lunch",
    model=Lunch,
    defaults=KindDefaults(
        title="Lunch", quadrant=2, category="admin", color="#7986CB", priority=65
    ),
    expand=_expand,
    fixed_slots=_slots,
)
