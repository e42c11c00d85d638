"""One read of a member's calendar for the whole trend, served to each week's preview.

Why: the lead's first view of a member is eight previews (one per week of the
trend), and each preview reads its week plus the history before it
(:func:`blocker.sync_read.read_window`), so the eight reads overlap almost
entirely and, for Google/Outlook, are eight HTTP round trips. Here the calendar
is read once over the union of those windows; each preview then gets, from
:class:`TrendReader`, the events of its own window, cut the way the provider cuts
a window (an event counts when it starts before the window ends and ends after
it starts; a zero-length one when it starts strictly inside), so the preview,
its plan and its report are those of the member's own week page.

Whatever the union's read cannot answer exactly is read from the calendar as
before, never guessed: a window outside the union (the date turned during the
view); an incremental read (never asked: the reader says it has none); a union
read cut short or with events left out (a limit of the larger window need not
apply to a week); an event of unclear extent at a window's edge (zero-length or
ending before it starts, or all-day near an edge on a provider whose server
places all-day dates on its own clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from blocker.core.models import EventDraft, Interval, ReadResult, RemoteEvent
from blocker.sync_read import read_window
from providers.base import CalendarProvider, Write, WriteResult

__all__ = ["SAME_CLOCK_PROVIDERS", "TrendReader", "trend_window"]

SAME_CLOCK_PROVIDERS = frozenset({"local", "google"})
"""Providers that place an all-day event's dates, for the window's cut, at the very
instants they report it at (local: the window's zone; Google: the calendar's zone,
on both sides). Outlook's server cuts floating all-day dates on its own clock."""


def trend_window(weeks: Sequence[str], timezone: str, now: datetime) -> Interval:
    """The union of the windows the previews of ``weeks`` read at ``now``."""
    if not weeks:
        raise ValueError("a trend read needs at least one week")
    windows = [read_window(week, timezone, now, history=True) for week in weeks]
    start = min((w.start for w in windows), key=lambda t: t.timestamp())
    end = max((w.end for w in windows), key=lambda t: t.timestamp())
    return Interval(start, end)


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _inside(event: RemoteEvent, lo: float, hi: float) -> bool:
    """The providers' cut (``Interval(start, max(start, end)).overlaps(window)``)."""
    start = _ts(event.start)
    return start < hi and max(start, _ts(event.end)) > lo


class TrendReader(CalendarProvider):
    """A read-only provider over one complete read of a larger window (dry runs only)."""

    def __init__(self, inner: CalendarProvider, window: Interval, read: ReadResult) -> None:
        self.inner = inner
        self.name = inner.name
        self.capabilities = replace(inner.capabilities, incremental=False)
        self.window = window
        self.usable = read.complete and not read.skipped and not read.incremental
        self._events = tuple(e for e in read.events if not e.cancelled)
        self.served = 0
        """Windows answered from the union's read (the rest were read from the calendar)."""

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        """The events of ``window`` from the union's read, else the calendar's own read."""
        if sync_token is not None or not self._answers(window):
            return self.inner.read(window, sync_token)
        lo, hi = _ts(window.start), _ts(window.end)
        self.served += 1
        return ReadResult(events=tuple(e for e in self._events if _inside(e, lo, hi)))

    def _answers(self, window: Interval) -> bool:
        if not self.usable or not self.window.contains(window):
            return False
        if window.start.tzinfo != self.window.start.tzinfo:
            return False  # the local provider gives floating times the window's zone
        lo, hi = _ts(window.start), _ts(window.end)
        same_clock = self.name in SAME_CLOCK_PROVIDERS
        return not any(self._unsure(e, lo, hi, same_clock) for e in self._events)

    @staticmethod
    def _unsure(event: RemoteEvent, lo: float, hi: float, same_clock: bool) -> bool:
        """Whether the provider's own cut of [lo, hi) might keep ``event`` otherwise."""
        start, end = _ts(event.start), _ts(event.end)
        day = timedelta(days=1).total_seconds()
        if end < start:  # a provider may cut it by its start or by its end
            return start > lo - day and end < hi + day
        if end == start:  # zero-length: kept strictly inside; at an edge, ask
            return start in (lo, hi)
        if event.all_day and not same_clock:
            inside = lo <= start and end <= hi
            outside = end <= lo - day or start >= hi + day
            return not (inside or outside)
        return False

    # A preview is a dry run: it never writes. Writing through a read is a bug.
    def _create(self, draft: EventDraft) -> RemoteEvent:
        raise RuntimeError(f"a trend read serves previews only; not creating {draft.key}")

    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        raise RuntimeError(f"a trend read serves previews only; not updating {current.event_id}")

    def _delete(self, current: RemoteEvent) -> None:
        raise RuntimeError(f"a trend read serves previews only; not deleting {current.event_id}")

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        raise RuntimeError(f"a trend read serves previews only; not writing {len(writes)}")
