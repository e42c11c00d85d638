"""Account time by tier: the tier's share of ``account_hours_per_week``, per account.

Each tier gets the mid-point of its share range times the weekly account hours.
Its cadence decides which accounts get time this ISO week: weekly -> all of them,
biweekly -> half, monthly -> a quarter, quarterly -> a thirteenth, by a
deterministic rotation over the accounts sorted by name, so every account comes
round once per cadence and a re-run of the same week picks the same accounts.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from blocker.models import BlockRequest
from rules.context import KindDefaults, KindInfo, WeekContext, request
from rules.spec import Account, Cadence, Day, RuleSpec, Window

PERIOD_WEEKS: dict[Cadence, int] = {"weekly": 1, "biweekly": 2, "monthly": 4, "quarterly": 13}


class AccountTime(RuleSpec):
    tiers: tuple[str, ...] | None = None
    days: tuple[Day, ...] | None = None
    preferred: Window | None = None
    round_to: int = Field(default=5, ge=1, le=60)
    min_minutes: int = Field(default=15, ge=5, le=240)


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


def _expand(rule: AccountTime, ctx: WeekContext) -> list[BlockRequest]:
    days = ctx.days(rule.days)
    spans = ctx.working_spans(days)
    if not spans:
        return []
    preferred = ctx.working_spans(days, rule.preferred) if rule.preferred else ()
    out: list[BlockRequest] = []
    for name, tier in ctx.rules.tiers.items():
        if rule.tiers is not None and name not in rule.tiers:
            continue
        chosen = rotation(ctx.accounts(name), tier.cadence, ctx.monday)
        tier_minutes = tier.mid_share * ctx.rules.account_hours_per_week * 60
        minutes = account_minutes(tier_minutes, len(chosen), rule.round_to, rule.min_minutes)
        label = ctx.rules.tier_label(name)
        for account in chosen:
            out.append(
                request(
                    KIND,
                    rule,
                    ctx,
                    day=ctx.monday,
                    ordinal=account.slug,
                    minutes=minutes,
                    earliest=spans[0].start,
                    latest=spans[-1].end,
                    fixed=False,
                    min_chunk=minutes,
                    preferred=preferred,
                    tier=name,
                    account=account.name,
                    color=tier.color,
                    values={"account": account.name, "tier": name, "tier_label": label},
                    reason=f"{label} ({tier.cadence}): {account.name}",
                )
            )
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
)
