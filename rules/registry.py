"""Rule kind name -> the module that implements it.

Adding a kind is one module under ``rules/kinds/`` with a ``KIND`` and one line here
(the holding windows are one kind with presets: one entry each, from ``KINDS``).
"""

from __future__ import annotations

from typing import Any

from rules.context import KindInfo
from rules.kinds import (
    account_time,
    block,
    email_batches,
    focus_time,
    go_live_prep,
    goals,
    health_drop,
    holding_window,
    lunch,
    meeting_free_day,
    morning_proactive,
    renewal_prep,
    silent_account,
    weekly_review,
    wrap_up,
)

_WINDOWS = holding_window.KINDS

_KINDS: tuple[KindInfo[Any], ...] = (
    morning_proactive.KIND,
    email_batches.KIND,
    lunch.KIND,
    meeting_free_day.KIND,
    _WINDOWS["call_window"],
    _WINDOWS["qbr_day"],
    _WINDOWS["internal_meetings"],
    focus_time.KIND,
    goals.KIND,
    account_time.KIND,
    renewal_prep.KIND,
    silent_account.KIND,
    health_drop.KIND,
    go_live_prep.KIND,
    wrap_up.KIND,
    weekly_review.KIND,
    block.KIND,
)

KINDS: dict[str, KindInfo[Any]] = {kind.name: kind for kind in _KINDS}


def kind_info(name: str) -> KindInfo[Any]:
    """The kind called ``name``; KeyError if there is none (the loader reports it)."""
    return KINDS[name]


def kind_names() -> list[str]:
    return sorted(KINDS)
