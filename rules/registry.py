"""Rule kind name -> the module that implements it.

Adding a kind is one module under ``rules/kinds/`` with a ``KIND`` and one line here.
"""

from __future__ import annotations

from typing import Any

from rules.context import KindInfo
from rules.kinds import (
    account_time,
    block,
    call_window,
    email_batches,
    focus_time,
    go_live_prep,
    goals,
    health_drop,
    internal_meetings,
    lunch,
    meeting_free_day,
    morning_proactive,
    qbr_day,
    renewal_prep,
    silent_account,
    weekly_review,
    wrap_up,
)

_MODULES = (
    morning_proactive,
    email_batches,
    lunch,
    meeting_free_day,
    call_window,
    qbr_day,
    internal_meetings,
    focus_time,
    goals,
    account_time,
    renewal_prep,
    silent_account,
    health_drop,
    go_live_prep,
    wrap_up,
    weekly_review,
    block,
)

KINDS: dict[str, KindInfo[Any]] = {module.KIND.name: module.KIND for module in _MODULES}


def kind_info(name: str) -> KindInfo[Any]:
    """The kind called ``name``; KeyError if there is none (the loader reports it)."""
    return KINDS[name]


def kind_names() -> list[str]:
    return sorted(KINDS)
