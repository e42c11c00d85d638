"""End-of-day wrap-up: notes, CRM updates, tomorrow's plan, so nothing leaks overnight.

Fixed at the end of working hours by default (``at`` or ``window`` override it).
"""

from __future__ import annotations

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import TimedSpec, daily_requests, daily_slots, end_of_day, minutes_field
from rules.spec import WorkingHours


class WrapUp(TimedSpec):
    minutes: int = minutes_field(15)


def _expand(rule: WrapUp, ctx: WeekContext) -> list[BlockRequest]:
    return daily_requests(KIND, rule, ctx, default_at=end_of_day)


def _slots(rule: WrapUp, hours: WorkingHours) -> list[Slot]:
    return daily_slots(rule, hours, end_of_day)


KIND = KindInfo(
    name="wrap_up",
    model=WrapUp,
    defaults=KindDefaults(
        title="End-of-day wrap-up", quadrant=2, category="admin", color="#616161", priority=60
    ),
    expand=_expand,
    fixed_slots=_slots,
)
