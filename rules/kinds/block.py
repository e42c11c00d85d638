"""Any other recurring block, with no code: training, product updates, office hours,
a reactive buffer for escalations.

``at`` makes it fixed; ``window`` makes it flexible inside that window each day;
``per: week`` asks for ``minutes`` once a week anywhere in the chosen days
(preferring ``window``). ``min_chunk`` lets a flexible block be split into pieces
of at least that many minutes (a buffer held in two halves is still a buffer).
``title`` is required: it says what the time is for.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from blocker.core.models import BlockRequest, ConflictPolicy
from rules.context import KindDefaults, KindInfo, Slot, WeekContext
from rules.kinds._common import TimedSpec, daily_requests, daily_slots, week_request
from rules.spec import Title, WorkingHours


class GenericBlock(TimedSpec):
    title: Title
    per: Literal["day", "week"] = "day"
    protected: bool = False
    conflict_policy: ConflictPolicy = "keep"
    meeting_like: bool = False
    min_chunk: int | None = Field(default=None, ge=5, le=16 * 60)
    """Smallest piece a flexible block may be split into (minutes)."""

    @model_validator(mode="after")
    def _weekly_is_flexible(self) -> GenericBlock:
        if self.per == "week" and self.at is not None:
            raise ValueError("'per: week' is flexible: use 'window', not 'at'")
        return self


def _expand(rule: GenericBlock, ctx: WeekContext) -> list[BlockRequest]:
    extra: dict[str, Any] = {"protected": rule.protected, "conflict_policy": rule.conflict_policy}
    if rule.per == "week":
        req = week_request(
            KIND,
            rule,
            ctx,
            days=rule.chosen_days(ctx),
            ordinal=0,
            minutes=rule.minutes,
            min_chunk=rule.min_chunk,
            window=rule.window,
            **extra,
        )
        return [req] if req is not None else []
    return daily_requests(KIND, rule, ctx, min_chunk=rule.min_chunk, **extra)


def _slots(rule: GenericBlock, hours: WorkingHours) -> list[Slot]:
    return daily_slots(rule, hours)


KIND = KindInfo(
    name="block",
    model=GenericBlock,
    defaults=KindDefaults(title="Block", quadrant=2, category="proactive", color="#4285F4"),
    expand=_expand,
    fixed_slots=_slots,
)
