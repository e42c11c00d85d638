"""Placeholder windows (call window, QBR day, internal meetings).

A fixed block, shown Free by default, that *holds* a stretch of the week for one
sort of meeting: colleagues and customers can still book into it, and the planner
keeps every other block out of it, so meetings stack there instead of everywhere.
A meeting inside the window is the window working: the planner cuts the window
around it (``BlockRequest.holding``) and reports no shortfall for that time.
"""

from __future__ import annotations

from typing import TypeVar

from blocker.core.models import BlockRequest
from rules.context import KindInfo, Slot, WeekContext, request
from rules.spec import Day, RuleSpec, Window, WorkingHours


class WindowSpec(RuleSpec):
    days: tuple[Day, ...]
    window: Window


W = TypeVar("W", bound="WindowSpec")


def expand_windows(info: KindInfo[W], rule: W, ctx: WeekContext) -> list[BlockRequest]:
    """One fixed placeholder per chosen working day."""
    out: list[BlockRequest] = []
    for day in ctx.days(rule.days):
        span = ctx.span(day, rule.window)
        out.append(
            request(
                info,
                rule,
                ctx,
                day=day,
                ordinal=0,
                minutes=rule.window.minutes,
                earliest=span.start,
                latest=span.end,
                fixed=True,
                holding=True,
            )
        )
    return out


def window_slots(rule: WindowSpec, hours: WorkingHours) -> list[Slot]:
    return [Slot(day, rule.window) for day in rule.days]
