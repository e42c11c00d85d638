"""Customer calls stacked on Tuesday/Wednesday afternoons.

Same idea for every placeholder window: see ``rules.kinds._windows``.
"""

from __future__ import annotations

from datetime import time

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._windows import WindowSpec, expand_windows, window_slots
from rules.spec import Day, Window, WorkingHours
from rules.timeparse import TimeRange


class CallWindow(WindowSpec):
    days: tuple[Day, ...] = ("tue", "wed")
    window: Window = TimeRange(time(13, 30), time(15, 30))


def _expand(rule: CallWindow, ctx: WeekContext) -> list[BlockRequest]:
    return expand_windows(KIND, rule, ctx)


def _slots(rule: CallWindow, hours: WorkingHours) -> list[Slot]:
    return window_slots(rule, hours)


KIND: KindInfo[CallWindow] = KindInfo(
    name="call_window",
    model=CallWindow,
    defaults=KindDefaults(
        title="Customer call window (book calls here)",
        quadrant=2,
        category="proactive",
        color="#F6BF26",
        priority=60,
        show_as="free",
    ),
    expand=_expand,
    fixed_slots=_slots,
    meeting_like=True,
)
