"""Renewal prep 90, 60 and 30 days before each renewal, in the week holding that day.

The request spans the working week and prefers the exact day; the 30-day one is
urgent (Q1), the earlier ones important (Q2).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from blocker.models import BlockRequest
from rules.context import KindDefaults, KindInfo, WeekContext
from rules.kinds._accounts import AccountTriggerSpec, account_request, eligible


class RenewalPrep(AccountTriggerSpec):
    days_before: tuple[int, ...] = Field(default=(90, 60, 30), min_length=1)
    urgent_within: int = Field(default=30, ge=0)
    """Renewals this close are Q1 unless the rule sets a quadrant."""


def _expand(rule: RenewalPrep, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    week = set(ctx.dates)
    for account in sorted(ctx.accounts(), key=lambda a: a.slug):
        if account.renewal_date is None or not eligible(rule, account):
            continue
        for days in sorted(set(rule.days_before), reverse=True):
            target = account.renewal_date - timedelta(days=days)
            if target not in week:
                continue
            req = account_request(
                KIND,
                rule,
                ctx,
                account,
                minutes=rule.minutes,
                ordinal=f"{account.slug}-{days}",
                prefer=[target] if target in ctx.workdays else None,
                values={"days": days, "renewal": account.renewal_date.isoformat()},
                reason=f"renewal of {account.name} on {account.renewal_date:%d %b %Y} "
                f"in {days} days",
                quadrant=1 if days <= rule.urgent_within else 2,
            )
            if req is not None:
                out.append(req)
    return out


KIND = KindInfo(
    name="renewal_prep",
    model=RenewalPrep,
    defaults=KindDefaults(
        title="Renewal prep: {account} ({days} days)",
        quadrant=2,
        category="proactive",
        color="#D50000",
        priority=75,
    ),
    expand=_expand,
)
