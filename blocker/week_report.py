"""The scorecard JSON of one week: planned, from a preview, and actual, counted from
what the calendar holds (issue 11), like for like.

The actuals need the week and the cadence history before it; meetings scheduled
later in the week count as this period's touchpoints. A preview's own read holds
both (a sync reads the history with the week), so the scorecard costs no read of
its own; only a preview whose read was narrower (a past week's history starts
before it) reads that window again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from blocker.actuals import (
    history_window,
    last_contacts,
    measure,
    missed_touchpoints,
    observe,
    observed,
    on_calendar,
)
from blocker.core.models import Block, Interval
from blocker.core.weeks import week_window
from blocker.expansion import domain_index
from blocker.outcomes import Preview
from blocker.report import actual_state, actual_to_dict, compare, scorecard, scorecard_to_dict
from providers.base import CalendarProvider
from rules import Rules


def week_report(
    rules: Rules,
    week: str,
    preview: Preview,
    *,
    now: datetime,
    applied: Sequence[Block],
    provider: CalendarProvider,
) -> dict[str, Any]:
    """The scorecard JSON (as ``GET /api/plan``'s) with the actual figures under
    ``actual``. ``applied``: the blocks last written for the week; ``provider``
    is read only when the preview's read does not hold the history."""
    wanted = history_window(week, rules.timezone)
    read = preview.seen
    if read is not None and preview.window is not None and preview.window.contains(wanted):
        seen = observed(read, within=wanted)
    else:
        seen = observe(provider, wanted)
    span = week_window(week, rules.timezone)
    index = domain_index(rules, span.start)
    mapping = rules.eisenhower.mapping()
    # like for like: the plan as time is its blocks plus the week's known meetings
    planned = measure(span, preview.plan.blocks, preview.busy, index, mapping)
    known = [*applied, *preview.plan.blocks]
    # what happened: up to now, never the rest of the week as if it were done
    upto = Interval(span.start, min(span.end, max(now, span.start, key=_ts), key=_ts))
    actuals = measure(upto, on_calendar(seen.owned, known), seen.foreign, index, mapping)
    state = actual_state(span, now, sum(e.minutes for e in actuals.entries))
    contacts = last_contacts(seen.foreign, index, before=span.end, timezone=rules.timezone)
    last_day = (span.end - timedelta(seconds=1)).astimezone(rules.tz).date()
    missed = missed_touchpoints(
        rules.accounts, {n: t.cadence for n, t in rules.tiers.items()}, contacts, last_day
    )
    card = compare(
        preview.plan,
        preview.spec,
        actuals,
        planned=planned,
        state=state,
        accounts=[(a.name, a.tier) for a in rules.accounts],
        missed=missed,
    )
    return {
        **scorecard_to_dict(scorecard(preview.plan, preview.spec, planned)),
        "actual": actual_to_dict(card),
    }


def _ts(moment: datetime) -> float:
    return moment.timestamp()


__all__ = ["week_report"]
