"""Go-live prep for accounts going live within the next 7 days, done before the day.

Its window ends the working day before the go-live, so it outranks the flexible
weekly blocks (focus time can move to later in the week; the go-live cannot).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field

from rules.context import KindDefaults, WeekContext
from rules.kinds._accounts import AccountTriggerSpec, Trigger, candidates, trigger_kind
from rules.kinds._common import minutes_field


class GoLivePrep(AccountTriggerSpec):
    within_days: int = Field(default=7, ge=1, le=60)
    minutes: int = minutes_field(60)


def _triggers(rule: GoLivePrep, ctx: WeekContext) -> Iterator[Trigger]:
    start = ctx.reference_day
    horizon = start + timedelta(days=rule.within_days)
    workdays = ctx.days()
    for account in candidates(rule, ctx):
        go_live = account.go_live
        if go_live is None or not start <= go_live <= horizon:
            continue
        before = [d for d in workdays if d < go_live]
        yield Trigger(
            account,
            account.slug,
            f"{account.name} goes live on {go_live:%a %d %b %Y}",
            values={"go_live": f"{go_live:%a %d %b}"},
            prefer=before[-2:] or None,
            deadline=before[-1] if before else go_live,
        )


KIND = trigger_kind(
    "go_live_prep",
    GoLivePrep,
    KindDefaults(
        title="Go-live prep: {account} (live {go_live})",
        quadrant=1,
        category="proactive",
        color="#F4511E",
        priority=85,
    ),
    _triggers,
)
