"""Email in batches (9:00, 13:00, 16:00 by default) instead of all day long.

Fixed blocks; batching is what keeps the inbox from eating the proactive time.
"""

from __future__ import annotations

from datetime import time

from pydantic import model_validator

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import fixed_slots_at, minutes_field, timed_request
from rules.spec import HHMM, Day, RuleSpec, WorkingHours
from rules.timeparse import add_minutes


class EmailBatches(RuleSpec):
    days: tuple[Day, ...] | None = None
    times: tuple[HHMM, ...] = (time(9, 0), time(13, 0), time(16, 0))
    minutes: int = minutes_field(30)

    @model_validator(mode="after")
    def _fit(self) -> EmailBatches:
        if not self.times:
            raise ValueError("'times' needs at least one time")
        for at in self.times:
            add_minutes(at, self.minutes)
        return self


def _expand(rule: EmailBatches, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    for day in ctx.days(rule.days):
        for ordinal, at in enumerate(sorted(rule.times)):
            req = timed_request(
                KIND, rule, ctx, day=day, ordinal=ordinal, minutes=rule.minutes, at=at, window=None
            )
            if req is not None:
                out.append(req)
    return out


def _slots(rule: EmailBatches, hours: WorkingHours) -> list[Slot]:
    return [s for at in rule.times for s in fixed_slots_at(hours, rule.days, at, rule.minutes)]


KIND = KindInfo(
    name="email_batches",
    model=EmailBatches,
    defaults=KindDefaults(
        title="Email batch", quadrant=3, category="reactive", color="#039BE5", priority=55
    ),
    expand=_expand,
    fixed_slots=_slots,
)
