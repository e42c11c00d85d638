"""Account time by tier, budgeted so each tier's WEEK total lands in its range.

Each tier's share range applies to all of its account-facing minutes of the
week, triggers and the meetings already on the calendar included (that is what
the scorecard counts), so this kind expands after the others and gives account
time the rest (see ``rules.kinds._tier_budget``). The
weekly account hours scale pro rata to the working days of the week (a holiday
week asks less). A tier's cadence decides whose turn it is: weekly -> all
accounts, biweekly -> half, monthly -> a quarter, quarterly -> a thirteenth, by
a deterministic rotation over the accounts sorted by name, so every account
comes round once per cadence and a re-run of the same week picks the same
accounts; when a tier's minutes cannot give every such account the minimum,
fewer accounts get time (those with a trigger this week last).
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from blocker.core.models import BlockRequest
from rules.context import KindDefaults, KindInfo, WeekContext
from rules.kinds._common import week_request
from rules.kinds._tier_budget import TierInput, budget, pool_order
from rules.spec import Account, Cadence, Day, RuleSpec, Windows

PERIOD_WEEKS: dict[Cadence, int] = {"weekly": 1, "biweekly": 2, "monthly": 4, "quarterly": 13}


class AccountTime(RuleSpec):
    tiers: tuple[str, ...] | None = None
    days: tuple[Day, ...] | None = None
    preferred: Windows = ()
    round_to: int = Field(default=5, ge=1, le=60)
    min_minutes: int = Field(default=15, ge=5, le=240)
    max_scale: float = Field(default=2.0, ge=1, le=5)
    """Account time may grow the week's tier total up to this multiple of the
    account hours to keep trigger-heavy tiers inside their ranges."""


def week_index(monday: date) -> int:
    """Consecutive number of the ISO week (0001-01-01 was a Monday)."""
    return (monday.toordinal() - 1) // 7


def rotation(accounts: list[Account], cadence: Cadence, monday: date) -> list[Account]:
    """The accounts whose turn it is this week under ``cadence``."""
    period = PERIOD_WEEKS[cadence]
    ordered = sorted(accounts, key=lambda a: (a.slug, a.name))
    turn = week_index(monday) % period
    return [a for i, a in enumerate(ordered) if i % period == turn]


def account_minutes(tier_minutes: float, count: int, round_to: int, floor: int) -> int:
    """Even split of the tier's minutes, rounded to ``round_to``, at least ``floor``."""
    if count == 0:
        return 0
    share = tier_minutes / count
    return max(floor, round(share / round_to) * round_to)


def _inputs(rule: AccountTime, ctx: WeekContext) -> list[TierInput]:
    week = week_index(ctx.monday)
    touched = {name: True for name in ctx.touched}
    out: list[TierInput] = []
    for name, tier in ctx.rules.tiers.items():
        ordered = sorted(ctx.accounts(name), key=lambda a: (a.slug, a.name))
        if rule.tiers is not None and name not in rule.tiers:
            ordered = []
        pool, fresh, cycle = pool_order(ordered, PERIOD_WEEKS[tier.cadence], week, touched)
        low, high = tier.share
        triggers = ctx.tier_minutes.get(name, 0)
        meetings = ctx.meeting_minutes.get(name, 0)
        out.append(TierInput(name, low / 100, high / 100, triggers, pool, fresh, cycle, meetings))
    return out


def _expand(rule: AccountTime, ctx: WeekContext) -> list[BlockRequest]:
    days = ctx.days(rule.days)
    if not days:
        return []
    hours = ctx.rules.account_hours_per_week * 60 * ctx.pro_rata(rule.days)
    alloc = budget(
        _inputs(rule, ctx),
        hours,
        round_to=rule.round_to,
        floor=rule.min_minutes,
        max_scale=rule.max_scale,
    )
    out: list[BlockRequest] = []
    for name, tier in ctx.rules.tiers.items():
        label = ctx.rules.tier_label(name)
        for account, minutes in sorted(alloc.get(name, []), key=lambda p: p[0].slug):
            req = week_request(
                KIND,
                rule,
                ctx,
                days=days,
                ordinal=account.slug,
                minutes=minutes,
                windows=rule.preferred,
                tier=name,
                account=account.name,
                color=tier.color,
                values={"account": account.name, "tier": name, "tier_label": label},
                reason=f"{label} ({tier.cadence}): {account.name}",
            )
            if req is not None:
                out.append(req)
    return out


KIND = KindInfo(
    name="account_time",
    model=AccountTime,
    defaults=KindDefaults(
        title="Account time: {account} ({tier_label})",
        quadrant=2,
        category="proactive",
        color="#4285F4",
        priority=60,
    ),
    expand=_expand,
    late=True,
)
