"""Accounts silent for N days (14 by default) get a block to reach out, early in the week.

Last contact is the later of the accounts file and the calendar (``contacts``).
Accounts with no known contact at all are not guessed at. The title names the
last contact date, not a day count, so it does not change every day.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

from pydantic import Field

from rules.context import KindDefaults, WeekContext
from rules.kinds._accounts import (
    AccountTriggerSpec,
    Trigger,
    candidates,
    early_days,
    trigger_kind,
)
from rules.kinds._common import minutes_field
from rules.spec import Account


class SilentAccount(AccountTriggerSpec):
    after_days: int = Field(default=14, ge=1, le=365)
    minutes: int = minutes_field(30)
    max_per_week: int | None = Field(default=None, ge=1, le=1000)
    """Only the N longest-silent accounts (keeps a bad week plannable); pro rata
    to the working days of a week with holidays, at least one."""


def _triggers(rule: SilentAccount, ctx: WeekContext) -> Iterator[Trigger]:
    """The longest-silent accounts first (ties by slug), at most ``max_per_week``."""
    reference = ctx.reference_day
    silent: list[tuple[int, str, Account, date]] = []
    for account in candidates(rule, ctx):
        last = ctx.last_contact(account)
        if last is None:
            continue
        gap = (reference - last).days
        if gap >= rule.after_days:
            silent.append((-gap, account.slug, account, last))
    silent.sort(key=lambda item: (item[0], item[1]))
    if rule.max_per_week is not None:
        # a week with holidays gets its share of them (never fewer than one)
        limit = max(1, math.ceil(rule.max_per_week * ctx.pro_rata()))
        silent = silent[:limit]
    prefer = early_days(ctx, rule.prefer_days)
    for negative_gap, _, account, last in silent:
        yield Trigger(
            account,
            account.slug,
            f"no contact with {account.name} for {-negative_gap} days (since {last})",
            values={"days": -negative_gap, "last_contact": f"{last:%d %b}"},
            prefer=prefer,
        )


KIND = trigger_kind(
    "silent_account",
    SilentAccount,
    KindDefaults(
        title="Silent account: {account} (no contact since {last_contact})",
        quadrant=2,
        category="proactive",
        color="#FF6D00",
        priority=65,
    ),
    _triggers,
)
