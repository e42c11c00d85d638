"""What the sync engine remembers between runs, as one small protocol.

``blocker/store/`` implements it on SQLAlchemy (SQLite or PostgreSQL);
:class:`MemoryState` (in ``blocker/state_memory.py``) implements it in memory
for tests, benchmarks and ``--dry-run``. The sync engine depends on this
protocol only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from blocker.core.models import Block, Interval, Pin, RemoteEvent, RunRecord


@dataclass(frozen=True, slots=True)
class EventMapping:
    """Block key <-> provider event id, with what we last wrote there.

    ``content_hash`` is the hash of the content we last wrote (see
    :func:`blocker.core.models.content_hash`); an observed event whose hash differs
    was edited by the user, one that equals it is our own write echoing back.
    """

    key: str
    event_id: str
    week: str
    content_hash: str
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one calendar's week window held after the last complete read, and the
    sync token of that read: an incremental read's changes merged into it give the
    window's events without reading the whole window again (DESIGN.md 4.9).

    ``events`` are the live events overlapping ``window``, ordered by start, end, id;
    ``full_read_at`` is when the window was last read in full (the daily safety net
    forces another full read once it is old).
    """

    token: str
    window: Interval
    events: tuple[RemoteEvent, ...]
    full_read_at: datetime

    def merged(
        self,
        changed: Iterable[RemoteEvent],
        removed: Iterable[str] = (),
        *,
        token: str | None = None,
    ) -> Snapshot:
        """This snapshot with ``changed`` events replacing theirs and ``removed`` ids gone.

        Changes outside the window (Google's and the memory provider's incremental
        reads ignore it) or cancelled ones take their event out of the window; a
        live event in ``changed`` wins over the same id in ``removed`` (Graph looks
        changed events up after the delta, so the lookup is the newer word).
        ``token`` replaces the token when given.
        """
        by_id = {event.event_id: event for event in self.events}
        for event_id in removed:
            by_id.pop(event_id, None)
        for event in changed:
            if event.cancelled or not Interval(event.start, event.end).overlaps(self.window):
                by_id.pop(event.event_id, None)
            else:
                by_id[event.event_id] = event
        ordered = tuple(sorted(by_id.values(), key=lambda e: (e.start, e.end, e.event_id)))
        return replace(self, events=ordered, token=self.token if token is None else token)


class SyncState(Protocol):
    """Per-calendar memory of the sync engine; every method is one small transaction,
    except inside :meth:`atomic`."""

    def atomic(self) -> AbstractContextManager[None]:
        """This thread's calls in the block are one transaction: all or nothing
        (the phases of a run, :mod:`blocker.run_state`)."""
        ...

    def mappings(self, calendar_id: str, week: str) -> dict[str, EventMapping]:
        """Mappings of the blocks of ``week``, by block key."""
        ...

    def save_mapping(self, calendar_id: str, mapping: EventMapping) -> None: ...

    def save_mappings(self, calendar_id: str, mappings: Sequence[EventMapping]) -> None:
        """Save several mappings in one transaction (apply records a whole batch at
        once: one commit per batch instead of one per event)."""
        ...

    def drop_mapping(self, calendar_id: str, key: str) -> None: ...

    def pins(self, calendar_id: str, week: str) -> list[Pin]:
        """User decisions for ``week``: moved/retitled blocks and dismissed keys."""
        ...

    def save_pin(self, calendar_id: str, week: str, pin: Pin) -> None: ...

    def snapshot(self, calendar_id: str, week: str) -> Snapshot | None:
        """The window snapshot of ``week`` for incremental reads, if one is kept."""
        ...

    def save_snapshot(self, calendar_id: str, week: str, snapshot: Snapshot) -> None: ...

    def drop_snapshot(self, calendar_id: str, week: str) -> None:
        """Forget the snapshot: the next run of ``week`` reads the window in full."""
        ...

    def previous_blocks(self, calendar_id: str, week: str) -> list[Block]:
        """The blocks of the last plan applied for ``week`` (for stability)."""
        ...

    def save_blocks(self, calendar_id: str, week: str, blocks: list[Block]) -> None: ...

    def record_run(self, run: RunRecord) -> None: ...

    def runs(self, calendar_id: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Most recent first."""
        ...


__all__ = ["EventMapping", "Snapshot", "SyncState"]
