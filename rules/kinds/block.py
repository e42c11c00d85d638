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

from pydantic import model_validator

from blocker.models import BlockRequest, ConflictPolicy
from rules.context import KindDefaults, KindInfo, Slot, WeekContext, request
from rules.kinds._common import TimedSpec, fixed_slots_at, timed_request
from rules.spec import WorkingHours


class GenericBlock(TimedSpec):
    title: str
    per: Literal["day", "week"] = "day"
    protected: bool = False
    conflict_policy: ConflictPolicy = "keep"
    meeting_like: bool = False
    min_chunk: int | None = None

    @model_validator(mode="after")
    def _weekly_is_flexible(self) -> GenericBlock:
        if self.per == "week" and self.at is not None:
            raise ValueError("'per: week' is flexible: use 'window', not 'at'")
        return self


def _expand(rule: GenericBlock, ctx: WeekContext) -> list[BlockRequest]:
    extra: dict[str, Any] = {"protected": rule.protected, "conflict_policy": rule.conflict_policy}
    days = ctx.days(rule.days)
    if rule.per == "week":
        spans = ctx.working_spans(days)
        if not spans:
            return []
        return [
            request(
                KIND,
                rule,
                ctx,
                day=ctx.monday,
                ordinal=0,
                minutes=rule.minutes,
                earliest=spans[0].start,
                latest=spans[-1].end,
                fixed=False,
                min_chunk=min(rule.min_chunk or rule.minutes, rule.minutes),
                preferred=ctx.working_spans(days, rule.window) if rule.window else (),
                **extra,
            )
        ]
    out: list[BlockRequest] = []
    for day in days:
        req = timed_request(
            KIND,
            rule,
            ctx,
            day=day,
            ordinal=0,
            minutes=rule.minutes,
            at=rule.at,
            window=rule.window,
            min_chunk=rule.min_chunk,
            **extra,
        )
        if req is not None:
            out.append(req)
    return out


def _slots(rule: GenericBlock, hours: WorkingHours) -> list[Slot]:
    return fixed_slots_at(hours, rule.days, rule.at, rule.minutes)


KIND = KindInfo(
    name="block",
    model=GenericBlock,
    defaults=KindDefaults(title="Block", quadrant=2, category="proactive", color="#4285F4"),
    expand=_expand,
    fixed_slots=_slots,
)
