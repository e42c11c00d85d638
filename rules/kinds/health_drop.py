"""Health drops: health below a threshold, or down N points since the last score.

Urgent and important (Q1): the block prefers the first working days of the week.
"""

from __future__ import annotations

from pydantic import Field

from blocker.models import BlockRequest
from rules.context import KindDefaults, KindInfo, WeekContext
from rules.kinds._accounts import AccountTriggerSpec, account_request, early_days, eligible


class HealthDrop(AccountTriggerSpec):
    below: int = Field(default=50, ge=0, le=100)
    drop: int = Field(default=15, ge=1, le=100)


def _expand(rule: HealthDrop, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    prefer = early_days(ctx, rule.prefer_days)
    for account in sorted(ctx.accounts(), key=lambda a: a.slug):
        health = account.health
        if health is None or not eligible(rule, account):
            continue
        previous = account.previous_health
        dropped = previous is not None and previous - health >= rule.drop
        if not (health < rule.below or dropped):
            continue
        change = f"{health}, was {previous}" if previous is not None else f"{health}"
        req = account_request(
            KIND,
            rule,
            ctx,
            account,
            minutes=rule.minutes,
            ordinal=account.slug,
            prefer=prefer,
            values={"health": health, "previous": previous, "change": change},
            reason=f"health of {account.name} is {change}",
        )
        if req is not None:
            out.append(req)
    return out


KIND = KindInfo(
    name="health_drop",
    model=HealthDrop,
    defaults=KindDefaults(
        title="Health drop: {account} (health {change})",
        quadrant=1,
        category="proactive",
        color="#C2185B",
        priority=80,
    ),
    expand=_expand,
)
