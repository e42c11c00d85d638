"""Renewal prep 90, 60 and 30 days before each renewal, in the week holding that day.

The request spans the working week and prefers the exact day; the 30-day one is
urgent (Q1, priority 95, exempt from the weekly alert cap), the earlier ones
important (Q2).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field, field_validator

from rules.context import KindDefaults, WeekContext
from rules.kinds._accounts import AccountTriggerSpec, Trigger, candidates, trigger_kind

URGENT_PRIORITY = 95
"""Priority of a renewal prep within ``urgent_within`` days (the rule's own still wins)."""
MAX_DAYS = 3 * 366
"""Renewal prep at most three years ahead (and the dates stay in the calendar)."""


class RenewalPrep(AccountTriggerSpec):
    days_before: tuple[int, ...] = Field(default=(90, 60, 30), min_length=1, max_length=12)
    urgent_within: int = Field(default=30, ge=0, le=MAX_DAYS)
    """Renewals this close are Q1 unless the rule sets a quadrant."""

    @field_validator("days_before")
    @classmethod
    def _in_range(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for days in value:
            if not 0 <= days <= MAX_DAYS:
                raise ValueError(f"each of days_before must be 0 to {MAX_DAYS}, got {days}")
        return value


def _triggers(rule: RenewalPrep, ctx: WeekContext) -> Iterator[Trigger]:
    week = set(ctx.dates)
    for account in candidates(rule, ctx):
        renewal = account.renewal_date
        if renewal is None:
            continue
        for days in sorted(set(rule.days_before), reverse=True):
            target = renewal - timedelta(days=days)
            if target not in week:
                continue
            yield Trigger(
                account,
                f"{account.slug}-{days}",
                f"renewal of {account.name} on {renewal:%d %b %Y} in {days} days",
                values={"days": days, "renewal": renewal.isoformat()},
                prefer=[target] if target in ctx.workdays else None,
                quadrant=1 if days <= rule.urgent_within else 2,
                # a renewal this close is never silently lost: it outranks the other
                # alerts and the template, and the weekly alert cap does not cut it
                extra={"priority": URGENT_PRIORITY, "cap_exempt": True}
                if days <= rule.urgent_within
                else {},
            )


KIND = trigger_kind(
    "renewal_prep",
    RenewalPrep,
    KindDefaults(
        title="Renewal prep: {account} ({days} days)",
        quadrant=2,
        category="proactive",
        color="#D50000",
        priority=75,
    ),
    _triggers,
)
