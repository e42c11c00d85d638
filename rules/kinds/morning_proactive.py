"""Morning health review: blocked tasks, silent accounts, health changes, go-lives.

A fixed block at the start of each working day (or ``at`` a set time) so the day
starts proactive instead of in the inbox.
"""

from __future__ import annotations

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import TimedSpec, daily_requests, daily_slots, start_of_day
from rules.spec import WorkingHours


class MorningProactive(TimedSpec):
    """``at`` defaults to the start of working hours; ``window`` makes it flexible."""


def _expand(rule: MorningProactive, ctx: WeekContext) -> list[BlockRequest]:
    return daily_requests(KIND, rule, ctx, default_at=start_of_day)


def _slots(rule: MorningProactive, hours: WorkingHours) -> list[Slot]:
    return daily_slots(rule, hours, start_of_day)


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
