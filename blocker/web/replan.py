"""The store as the first run under new rules sees it, when the user asked to re-place.

By design a run keeps blocks where they are unless something forces a move (no
change without a cause): new rules that only *prefer* another window leave the
blocks already on the calendar in place. The rule form's "re-place blocks already
on my calendar" asks for the opposite, once: for that one run (and its preview)
the week's blocks that start after today are left out of the previous plan, so
the planner places them afresh under the new rules and the diff moves their events.
Blocks that started already (the record) or are later today (today's stability)
stay as they are. Everything else is the store itself.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from blocker.core.models import Block
from blocker.state import SyncState


class Replacing:
    """A read-through view of a :class:`SyncState` (see module docstring)."""

    def __init__(
        self, store: SyncState, calendar: str, week: str, now: datetime, timezone: str
    ) -> None:
        self._store = store
        self._target = (calendar, week)
        tz = ZoneInfo(timezone)
        tomorrow = now.astimezone(tz).date() + timedelta(days=1)
        self._from = datetime.combine(tomorrow, time(0), tzinfo=tz)

    def previous_blocks(self, calendar_id: str, week: str) -> list[Block]:
        blocks = self._store.previous_blocks(calendar_id, week)
        if (calendar_id, week) != self._target:
            return blocks
        start = self._from.timestamp()
        return [b for b in blocks if b.start.timestamp() < start]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def replacing(store: SyncState, calendar: str, week: str, now: datetime, tz: str) -> SyncState:
    """``store`` as a re-placing run of ``calendar``'s ``week`` sees it."""
    return cast(SyncState, Replacing(store, calendar, week, now, tz))


__all__ = ["Replacing", "replacing"]
