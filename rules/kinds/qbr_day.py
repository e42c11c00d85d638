"""Quarterly business reviews kept to one afternoon (Thursday by default).

Same idea for every placeholder window: see ``rules.kinds._windows``.
"""

from __future__ import annotations

from datetime import time

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._windows import WindowSpec, expand_windows, window_slots
from rules.spec import Day, Window, WorkingHours
from rules.timeparse import TimeRange


class QbrDay(WindowSpec):
    days: tuple[Day, ...] = ("thu",)
    window: Window = TimeRange(time(13, 30), time(15, 30))


def _expand(rule: QbrDay, ctx: WeekContext) -> list[BlockRequest]:
    return expand_windows(KIND, rule, ctx)


def _slots(rule: QbrDay, hours: WorkingHours) -> list[Slot]:
    return window_slots(rule, hours)


KIND: KindInfo[QbrDay] = KindInfo(
    name="qbr_day",
    model=QbrDay,
    defaults=KindDefaults(
        title="QBR window (book QBRs here)",
        quadrant=2,
        category="proactive",
        color="#E67C73",
        priority=60,
        show_as="free",
    ),
    expand=_expand,
    fixed_slots=_slots,
    meeting_like=True,
)
