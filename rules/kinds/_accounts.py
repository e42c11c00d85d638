"""Shared shape of the per-account trigger kinds (renewal, silent, health, go-live).

A kind only decides which accounts trigger and why (``Trigger``); turning each
into one flexible request for the week is done here, once. Requests are keyed by
the account's slug (not its position in the list, so adding an account never
re-keys the others).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import Field

from blocker.core.models import BlockRequest, Quadrant
from rules.context import KindDefaults, KindInfo, WeekContext
from rules.kinds._common import week_request
from rules.spec import Account, RuleSpec


class AccountTriggerSpec(RuleSpec):
    minutes: int = Field(default=45, ge=5, le=8 * 60)
    tiers: tuple[str, ...] | None = None
    """Only accounts of these tiers (default: every tier)."""
    prefer_days: int = Field(default=2, ge=1, le=7)
    """Prefer the first N working days of the week (act early on a trigger)."""


@dataclass(frozen=True, slots=True)
class Trigger:
    """One account a trigger fired for this week, and what its block should say."""

    account: Account
    ordinal: str
    reason: str
    values: Mapping[str, Any] = field(default_factory=dict)
    prefer: list[date] | None = None
    deadline: date | None = None
    quadrant: Quadrant | None = None
    """Overrides the kind's default quadrant (the rule's own still wins)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """More request fields for this trigger (an urgent renewal's priority, cap exemption)."""


def eligible(rule: AccountTriggerSpec, account: Account) -> bool:
    return rule.tiers is None or account.tier in rule.tiers


def candidates(rule: AccountTriggerSpec, ctx: WeekContext) -> list[Account]:
    """The accounts ``rule`` may fire for, in slug order (a stable output order)."""
    return [a for a in sorted(ctx.accounts(), key=lambda a: a.slug) if eligible(rule, a)]


def account_request(
    info: KindInfo[Any],
    rule: RuleSpec,
    ctx: WeekContext,
    account: Account,
    *,
    minutes: int,
    ordinal: str,
    prefer: list[date] | None = None,
    deadline: date | None = None,
    values: Mapping[str, Any] | None = None,
    **extra: Any,
) -> BlockRequest | None:
    """A flexible request for ``account`` somewhere in the working week, in one piece.

    ``prefer`` lists days whose working hours are preferred; ``deadline`` ends the
    window at the end of that working day (if it is in the week).
    """
    return week_request(
        info,
        rule,
        ctx,
        days=ctx.days(),
        ordinal=ordinal,
        minutes=minutes,
        prefer=prefer or None,
        deadline=deadline,
        tier=account.tier,
        account=account.name,
        values={"account": account.name, "tier": account.tier, **(values or {})},
        **extra,
    )


def trigger_requests(
    info: KindInfo[Any], rule: AccountTriggerSpec, ctx: WeekContext, triggers: Iterable[Trigger]
) -> list[BlockRequest]:
    """One ``rule.minutes`` request per trigger, in the order given."""
    out: list[BlockRequest] = []
    for trigger in triggers:
        req = account_request(
            info,
            rule,
            ctx,
            trigger.account,
            minutes=rule.minutes,
            ordinal=trigger.ordinal,
            prefer=trigger.prefer,
            deadline=trigger.deadline,
            values=trigger.values,
            reason=trigger.reason,
            quadrant=trigger.quadrant,
            alert=True,
            **trigger.extra,
        )
        if req is not None:
            out.append(req)
    return out


T = TypeVar("T", bound=AccountTriggerSpec)


def trigger_kind(
    name: str,
    model: type[T],
    defaults: KindDefaults,
    triggers: Callable[[T, WeekContext], Iterable[Trigger]],
) -> KindInfo[T]:
    """A per-account trigger kind: ``triggers`` says which accounts fire and why,
    :func:`trigger_requests` turns them into the week's requests."""

    def expand(rule: T, ctx: WeekContext) -> list[BlockRequest]:
        return trigger_requests(kind, rule, ctx, triggers(rule, ctx))

    kind: KindInfo[T] = KindInfo(name=name, model=model, defaults=defaults, expand=expand)
    return kind


def early_days(ctx: WeekContext, count: int) -> list[date]:
    return ctx.days()[:count]
