"""Internal meetings corralled into Monday morning.

Same idea for every placeholder window: see ``rules.kinds._windows``.
"""

from __future__ import annotations

from datetime import time

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._windows import WindowSpec, expand_windows, window_slots
from rules.spec import Day, Window, WorkingHours
from rules.timeparse import TimeRange


class InternalMeetings(WindowSpec):
    days: tuple[Day, ...] = ("mon",)
    window: Window = TimeRange(time(9, 30), time(11, 0))


def _expand(rule: InternalMeetings, ctx: WeekContext) -> list[BlockRequest]:
    return expand_windows(KIND, rule, ctx)


def _slots(rule: InternalMeetings, hours: WorkingHours) -> list[Slot]:
    return window_slots(rule, hours)


KIND: KindInfo[InternalMeetings] = KindInfo(
    name="internal_meetings",
    model=InternalMeetings,
    defaults=KindDefaults(
        title="Internal meetings window",
        quadrant=2,
        category="admin",
        color="#8E24AA",
        priority=50,
        show_as="free",
    ),
    expand=_expand,
    fixed_slots=_slots,
    meeting_like=True,
)
