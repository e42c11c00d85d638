"""Shared shape of the per-account trigger kinds (renewal, silent, health, go-live).

One flexible request per account for the week, keyed by the account's slug (not
its position in the list, so adding an account never re-keys the others).
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import Field

from blocker.models import BlockRequest
from rules.context import KindInfo, WeekContext, request
from rules.spec import Account, RuleSpec

R = TypeVar("R", bound=RuleSpec)


class AccountTriggerSpec(RuleSpec):
    minutes: int = Field(default=45, ge=5, le=8 * 60)
    tiers: tuple[str, ...] | None = None
    """Only accounts of these tiers (default: every tier)."""
    prefer_days: int = Field(default=2, ge=1, le=7)
    """Prefer the first N working days of the week (act early on a trigger)."""


def eligible(rule: AccountTriggerSpec, account: Account) -> bool:
    return rule.tiers is None or account.tier in rule.tiers


def account_request(
    info: KindInfo[R],
    rule: R,
    ctx: WeekContext,
    account: Account,
    *,
    minutes: int,
    ordinal: str,
    prefer: list[date] | None = None,
    deadline: date | None = None,
    values: dict[str, Any] | None = None,
    **extra: Any,
) -> BlockRequest | None:
    """A flexible request for ``account`` somewhere in the working week.

    ``prefer`` lists days whose working hours are preferred; ``deadline`` ends the
    window at the end of that working day (if it is in the week).
    """
    days = ctx.days()
    if not days:
        return None
    spans = ctx.working_spans(days)
    latest = spans[-1].end
    if deadline is not None:
        before = ctx.working_spans([d for d in days if d <= deadline])
        if before:
            latest = before[-1].end
    preferred = ctx.working_spans(prefer) if prefer else ()
    return request(
        info,
        rule,
        ctx,
        day=ctx.monday,
        ordinal=ordinal,
        minutes=minutes,
        earliest=spans[0].start,
        latest=latest,
        fixed=False,
        min_chunk=minutes,
        preferred=preferred,
        tier=account.tier,
        account=account.name,
        values={"account": account.name, "tier": account.tier, **(values or {})},
        **extra,
    )


def early_days(ctx: WeekContext, count: int) -> list[date]:
    return ctx.days()[:count]
