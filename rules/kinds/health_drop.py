"""Health drops: health below a threshold, or down N points since the last score.

Urgent and important (Q1): the block prefers the first working days of the week.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from rules.context import KindDefaults, WeekContext
from rules.kinds._accounts import (
    AccountTriggerSpec,
    Trigger,
    candidates,
    early_days,
    trigger_kind,
)


class HealthDrop(AccountTriggerSpec):
    below: int = Field(default=50, ge=0, le=100)
    drop: int = Field(default=15, ge=1, le=100)


def _triggers(rule: HealthDrop, ctx: WeekContext) -> Iterator[Trigger]:
    prefer = early_days(ctx, rule.prefer_days)
    for account in candidates(rule, ctx):
        health = account.health
        if health is None:
            continue
        previous = account.previous_health
        dropped = previous is not None and previous - health >= rule.drop
        if not (health < rule.below or dropped):
            continue
        change = f"{health}, was {previous}" if previous is not None else f"{health}"
        yield Trigger(
            account,
            account.slug,
            f"health of {account.name} is {change}",
            values={"health": health, "previous": previous, "change": change},
            prefer=prefer,
        )


KIND = trigger_kind(
    "health_drop",
    HealthDrop,
    KindDefaults(
        title="Health drop: {account} (health {change})",
        quadrant=1,
        category="proactive",
        color="#C2185B",
        priority=80,
    ),
    _triggers,
)
