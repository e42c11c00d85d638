"""Go-live prep for accounts going live within the next 7 days, done before the day.

Its window ends the working day before the go-live, so it outranks the flexible
weekly blocks (focus time can move to later in the week; the go-live cannot).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from blocker.models import BlockRequest
from rules.context import KindDefaults, KindInfo, WeekContext
from rules.kinds._accounts import AccountTriggerSpec, account_request, eligible
from rules.kinds._common import minutes_field


class GoLivePrep(AccountTriggerSpec):
    within_days: int = Field(default=7, ge=1, le=60)
    minutes: int = minutes_field(60)


def _expand(rule: GoLivePrep, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    start = ctx.reference_day
    horizon = start + timedelta(days=rule.within_days)
    workdays = ctx.days()
    for account in sorted(ctx.accounts(), key=lambda a: a.slug):
        go_live = account.go_live
        if go_live is None or not eligible(rule, account) or not start <= go_live <= horizon:
            continue
        before = [d for d in workdays if d < go_live]
        deadline = before[-1] if before else go_live
        req = account_request(
            KIND,
            rule,
            ctx,
            account,
            minutes=rule.minutes,
            ordinal=account.slug,
            prefer=before[-2:] or None,
            deadline=deadline,
            values={"go_live": f"{go_live:%a %d %b}"},
            reason=f"{account.name} goes live on {go_live:%a %d %b %Y}",
        )
        if req is not None:
            out.append(req)
    return out


KIND = KindInfo(
    name="go_live_prep",
    model=GoLivePrep,
    defaults=KindDefaults(
        title="Go-live prep: {account} (live {go_live})",
        quadrant=1,
        category="proactive",
        color="#F4511E",
        priority=85,
    ),
    expand=_expand,
)
