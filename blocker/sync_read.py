"""The one read of a sync run: which window, and incremental or in full.

A run reads its week's window (plus the history before it when the spec is an
:class:`blocker.sync.Expansion`) once. When the state holds a snapshot of that
window from a complete read, one request for the changes since its token is
merged into it; the window is read in full when there is no snapshot, when it
holds another window, when it is older than the daily safety net, when the
provider cannot read incrementally, or when its token went stale (HTTP 410).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocker.actuals import HISTORY_DAYS
from blocker.core.errors import SyncTokenExpired
from blocker.core.models import Interval, ReadResult, RemoteEvent
from blocker.core.weeks import week_window
from blocker.run_state import RunState
from blocker.state import Snapshot
from providers.base import CalendarProvider

_log = logging.getLogger("blocker.sync")


def read_window(week: str, timezone: str, now: datetime, *, history: bool) -> Interval:
    """The window one run reads: the week, plus :data:`HISTORY_DAYS` before the
    earlier of its Monday and today's midnight when last contacts come from it.

    The start moves once a day at most (for weeks still ahead), so the snapshot of
    the window, and its sync token, serve every run of a day; a new window is read
    in full, as the daily safety net would anyway.
    """
    span = week_window(week, timezone)
    if not history:
        return span
    tz = ZoneInfo(timezone)
    midnight = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    first = min(span.start.astimezone(tz), midnight, key=lambda t: t.timestamp())
    return Interval(first - timedelta(days=HISTORY_DAYS), span.end)


@dataclass(frozen=True, slots=True)
class Observed:
    """The window as this run sees it, and the snapshot to keep if the run goes well.

    ``read.events`` always hold the whole window (an incremental read's changes
    are already merged); ``snapshot`` is None when the read gave no token or was
    incomplete (the next run then reads in full).
    """

    read: ReadResult
    snapshot: Snapshot | None
    incremental: bool


def clipped(observed: Observed, span: Interval) -> Observed:
    """The week's part of a read that holds its history too (the snapshot stays whole).

    As the providers' window reads: an event counts when it starts before the week
    ends and ends after it starts (a zero-length one when it starts inside)."""
    lo, hi = span.start.timestamp(), span.end.timestamp()

    def inside(event: RemoteEvent) -> bool:
        start, end = event.start.timestamp(), event.end.timestamp()
        return start < hi and (end > lo or start >= lo)

    events = tuple(e for e in observed.read.events if inside(e))
    return replace(observed, read=replace(observed.read, events=events))


def read_observed(
    provider: CalendarProvider,
    run_state: RunState,
    window: Interval,
    *,
    read_at: datetime,
    full_read_every: timedelta | None,
) -> Observed:
    """Read the window: incremental from the week's snapshot when allowed, else in full.

    A stale token (HTTP 410) drops the snapshot and reads in full, as a normal path.
    """
    calendar_id, week = run_state.calendar_id, run_state.week
    kept = run_state.state.snapshot(calendar_id, week)
    why_full = _why_full(provider, kept, window, read_at, full_read_every)
    if why_full is None and kept is not None:
        try:
            changes = provider.read(window, sync_token=kept.token)
        except SyncTokenExpired as exc:
            _log.info("%s %s: sync token expired (%s); reading in full", calendar_id, week, exc)
            run_state.token_expired()
        else:
            if changes.incremental:
                return _incremental(kept, changes)
            return _full(changes, window, read_at, provider)
    elif kept is not None:
        _log.info("%s %s: full read (%s)", calendar_id, week, why_full)
    return _full(_read_full(provider, window), window, read_at, provider)


def _why_full(
    provider: CalendarProvider,
    kept: Snapshot | None,
    window: Interval,
    read_at: datetime,
    full_read_every: timedelta | None,
) -> str | None:
    """Why this run must read the window in full, or None when incremental will do."""
    if not provider.capabilities.incremental:
        return "the provider has no incremental reads"
    if kept is None:
        return "no snapshot of the window"
    if (kept.window.start.timestamp(), kept.window.end.timestamp()) != (
        window.start.timestamp(),
        window.end.timestamp(),
    ):
        return "the snapshot holds another window"
    if full_read_every is not None and read_at - kept.full_read_at >= full_read_every:
        return "the daily full read is due"
    return None


def _incremental(kept: Snapshot, changes: ReadResult) -> Observed:
    """Merge an incremental read into the snapshot; a cut-short one keeps no snapshot."""
    merged = kept.merged(changes.events, changes.removed, token=changes.sync_token)
    view = ReadResult(
        events=merged.events, complete=changes.complete, sync_token=changes.sync_token
    )
    usable = changes.complete and changes.sync_token is not None
    return Observed(view, merged if usable else None, incremental=True)


def _full(
    read: ReadResult, window: Interval, read_at: datetime, provider: CalendarProvider
) -> Observed:
    snapshot = None
    if read.complete and read.sync_token is not None and provider.capabilities.incremental:
        live = tuple(e for e in read.events if not e.cancelled)
        snapshot = Snapshot(read.sync_token, window, (), read_at).merged(live)
    return Observed(read, snapshot, incremental=False)


def _read_full(provider: CalendarProvider, window: Interval) -> ReadResult:
    """A full read of the window; a 410 here too (a paging token gone stale) means:
    read again from the start."""
    try:
        return provider.read(window)
    except SyncTokenExpired:
        return provider.read(window)


__all__ = ["Observed", "clipped", "read_observed", "read_window"]
