"""Holding windows: one kind, three presets (call window, QBR day, internal meetings).

A fixed block, shown Free by default, that *holds* a stretch of the week for one
sort of meeting: colleagues and customers can still book into it, and the planner
keeps every other block out of it, so meetings stack there instead of everywhere.
A meeting inside the window is the window working: the planner cuts the window
around it (``BlockRequest.holding``) and reports no shortfall for that time.

The three differed only in defaults (days, window, title, colour, priority), so a
preset is just that; each keeps its own YAML kind name, so rules files are unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from pydantic import create_model

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, Slot, WeekContext, request
from rules.spec import Day, RuleSpec, Window, WorkingHours
from rules.timeparse import TimeRange, Weekday


class HoldingWindow(RuleSpec):
    """The kind's parameters; a preset gives both of them defaults."""

    days: tuple[Day, ...]
    window: Window


@dataclass(frozen=True, slots=True)
class Preset:
    """One YAML kind of holding window and what it defaults to."""

    name: str
    days: tuple[Weekday, ...]
    window: TimeRange
    defaults: KindDefaults


PRESETS = (
    Preset(
        "call_window",
        ("tue", "wed"),  # customer calls stacked on Tuesday/Wednesday afternoons
        TimeRange(time(13, 30), time(15, 30)),
        KindDefaults(
            title="Customer call window (book calls here)",
            quadrant=2,
            category="proactive",
            color="#F6BF26",
            priority=60,
            show_as="free",
        ),
    ),
    Preset(
        "qbr_day",
        ("thu",),  # quarterly business reviews kept to one afternoon
        TimeRange(time(13, 30), time(15, 30)),
        KindDefaults(
            title="QBR window (book QBRs here)",
            quadrant=2,
            category="proactive",
            color="#E67C73",
            priority=60,
            show_as="free",
        ),
    ),
    Preset(
        "internal_meetings",
        ("mon",),  # internal meetings corralled into Monday morning
        TimeRange(time(9, 30), time(11, 0)),
        KindDefaults(
            title="Internal meetings window",
            quadrant=2,
            category="admin",
            color="#8E24AA",
            priority=50,
            show_as="free",
        ),
    ),
)


def expand_windows(
    info: KindInfo[HoldingWindow], rule: HoldingWindow, ctx: WeekContext
) -> list[BlockRequest]:
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


def window_slots(rule: HoldingWindow, hours: WorkingHours) -> list[Slot]:
    return [Slot(day, rule.window) for day in rule.days]


def _class_name(kind: str) -> str:
    """``call_window`` -> ``CallWindow`` (the model's name shows in validation errors)."""
    return "".join(part.capitalize() for part in re.split(r"_+", kind))


def holding_kind(preset: Preset) -> KindInfo[HoldingWindow]:
    """The rule kind of one preset: the shared model with the preset's defaults."""
    model: type[HoldingWindow] = create_model(
        _class_name(preset.name),
        __base__=HoldingWindow,
        days=(tuple[Day, ...], preset.days),
        window=(Window, preset.window),
    )

    def expand(rule: HoldingWindow, ctx: WeekContext) -> list[BlockRequest]:
        return expand_windows(kind, rule, ctx)

    kind: KindInfo[HoldingWindow] = KindInfo(
        name=preset.name,
        model=model,
        defaults=preset.defaults,
        expand=expand,
        fixed_slots=window_slots,
        meeting_like=True,
    )
    return kind


KINDS = {preset.name: holding_kind(preset) for preset in PRESETS}
