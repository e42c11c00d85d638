"""In-memory calendar that behaves like a real one, for tests and benchmarks.

It keeps the parts of real calendar semantics the sync engine depends on:
etags that change on every change, a change log behind sync tokens (which can
expire), idempotent creates by deterministic id, conditional updates/deletes,
and cancelled events that vanish from full reads but show up as removed in
incremental ones. Test hooks (``add_foreign``, ``move_event``, ``fail_next``,
``crash_after_writes`` ...) play the user and the network going wrong, so
engine tests need no mocks.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections import Counter, deque
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from blocker.core.errors import (
    EventNotFound,
    OwnershipError,
    PreconditionFailed,
    ProviderError,
    SyncTokenExpired,
)
from blocker.core.models import Capabilities, EventDraft, Interval, ReadResult, RemoteEvent
from providers.base import CalendarProvider, Write, WriteResult

Method = Literal["read", "create", "update", "delete", "batch"]
_METHODS: frozenset[str] = frozenset({"read", "create", "update", "delete", "batch"})
_instances = itertools.count(1)


class SimulatedCrash(Exception):
    """The process "died" mid-apply; deliberately not a ProviderError so nothing catches it."""


class MemoryCalendar(CalendarProvider):
    """A calendar held in a dict, with a change log and sync tokens.

    Incremental reads follow Google's semantics: they ignore the window and
    return every event changed since the token (live ones in ``events``,
    cancelled ones in ``removed``), so callers must filter by window themselves.
    """

    def __init__(
        self,
        *,
        name: str = "memory",
        batch_size: int = 50,
        log_limit: int = 10_000,
        capabilities: Capabilities | None = None,
    ) -> None:
        self.name = name
        base = capabilities or Capabilities(colors=True, incremental=True, max_concurrency=4)
        self.capabilities = dataclasses.replace(base, batch_size=batch_size)
        self.requests: Counter[str] = Counter()
        """Calls by method (read/create/update/delete/batch); one per batch chunk."""
        self.writes: Counter[str] = Counter()
        """Writes actually applied to the calendar, by action (batch items included)."""
        self._lock = threading.RLock()
        self._instance = next(_instances)
        self._events: dict[str, RemoteEvent] = {}
        self._drafts: dict[str, EventDraft] = {}
        self._log: deque[tuple[int, str]] = deque()
        self._log_limit = log_limit
        self._seq = 0
        self._oldest_valid_seq = 0
        self._epoch = 1
        self._etags = itertools.count(1)
        self._foreign_ids = itertools.count(1)
        self._failures: dict[str, deque[ProviderError]] = {}
        self._partial_reads = 0
        self._crash_after: int | None = None
        self._crash_lands = False
        self._writes_since_armed = 0
        self._in_batch = False

    # -- configuration -----------------------------------------------------------

    @property
    def batch_size(self) -> int:
        return self.capabilities.batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        if value < 1:
            raise ValueError("batch_size must be at least 1")
        self.capabilities = dataclasses.replace(self.capabilities, batch_size=value)

    # -- test hooks: the network and the process going wrong ----------------------

    def fail_next(self, method: Method, error: ProviderError, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` raise ``error``.

        For create/update/delete this also hits the items of a batch (the item's
        result is then the error); ``batch`` fails a whole batch request.
        """
        if method not in _METHODS:
            raise ValueError(f"unknown method {method!r}; one of {sorted(_METHODS)}")
        with self._lock:
            self._failures.setdefault(method, deque()).extend([error] * times)

    def partial_next_read(self) -> None:
        """The next read returns ``complete=False`` with only some events and no token."""
        with self._lock:
            self._partial_reads += 1

    def crash_after_writes(self, n: int, *, lands: bool = False) -> None:
        """Raise :class:`SimulatedCrash` on the write after ``n`` successful ones.

        With ``lands`` True that write reaches the calendar before the crash (the
        reply was lost); otherwise it never happens.
        """
        with self._lock:
            self._crash_after = n
            self._crash_lands = lands
            self._writes_since_armed = 0

    def expire_sync_tokens(self) -> None:
        """Every token handed out so far becomes stale (as after Google's 410)."""
        with self._lock:
            self._epoch += 1
            self._log.clear()

    # -- test hooks: the user acting in their calendar app ------------------------

    def add_foreign(
        self, start: datetime, end: datetime, title: str = "Meeting", **fields: Any
    ) -> RemoteEvent:
        """Add an event someone else made; ``fields`` are RemoteEvent fields (no tag)."""
        if "tag" in fields:
            raise ValueError("foreign events carry no ownership tag")
        with self._lock:
            event_id = fields.pop("event_id", None) or f"foreign-{next(self._foreign_ids)}"
            if event_id in self._events and not self._events[event_id].cancelled:
                raise ValueError(f"event {event_id!r} exists already")
            event = RemoteEvent(
                event_id=event_id,
                start=start,
                end=end,
                title=title,
                etag=self._new_etag(),
                **fields,
            )
            self._store(event)
            return event

    def move_event(self, event_id: str, start: datetime, end: datetime) -> RemoteEvent:
        """The user drags an event: new times and etag, same tag (with the old hash)."""
        with self._lock:
            event = self._live(event_id)
            return self._store(
                dataclasses.replace(event, start=start, end=end, etag=self._new_etag())
            )

    def retitle_event(self, event_id: str, title: str) -> RemoteEvent:
        """The user renames an event: new title and etag, same tag."""
        with self._lock:
            event = self._live(event_id)
            return self._store(dataclasses.replace(event, title=title, etag=self._new_etag()))

    def remove_event(self, event_id: str) -> None:
        """The user deletes an event (it becomes cancelled, as on Google)."""
        with self._lock:
            event = self._live(event_id)
            self._store(dataclasses.replace(event, cancelled=True, etag=self._new_etag()))

    # -- inspection -----------------------------------------------------------------

    def snapshot(self) -> list[RemoteEvent]:
        """Every live (not cancelled) event, ordered by start then id."""
        with self._lock:
            return _ordered(e for e in self._events.values() if not e.cancelled)

    def get(self, event_id: str) -> RemoteEvent | None:
        """The live event with this id, or None."""
        with self._lock:
            event = self._events.get(event_id)
            return None if event is None or event.cancelled else event

    def draft_of(self, event_id: str) -> EventDraft | None:
        """The draft last written to an owned event (privacy, focus, description)."""
        with self._lock:
            return self._drafts.get(event_id)

    # -- reading ----------------------------------------------------------------------

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        with self._lock:
            self._begin("read")
            partial = self._partial_reads > 0
            if partial:
                self._partial_reads -= 1
            if sync_token is not None:
                result = self._read_changes(sync_token)
            else:
                events = _ordered(
                    e
                    for e in self._events.values()
                    if not e.cancelled and Interval(e.start, e.end).overlaps(window)
                )
                result = ReadResult(events=tuple(events), sync_token=self._token())
            if partial:
                kept = result.events[: len(result.events) // 2]
                result = dataclasses.replace(
                    result, events=kept, removed=(), complete=False, sync_token=None
                )
            return result

    def _read_changes(self, sync_token: str) -> ReadResult:
        since = self._parse_token(sync_token)
        changed: dict[str, None] = {}
        for seq, event_id in self._log:
            if seq > since:
                changed.pop(event_id, None)
                changed[event_id] = None
        events = [self._events[i] for i in changed if not self._events[i].cancelled]
        removed = tuple(i for i in changed if self._events[i].cancelled)
        return ReadResult(
            events=tuple(events), sync_token=self._token(), incremental=True, removed=removed
        )

    def _token(self) -> str:
        return f"mem:{self._instance}.{self._epoch}:{self._seq}"

    def _parse_token(self, token: str) -> int:
        parts = token.split(":")
        if len(parts) != 3 or parts[0] != "mem" or parts[1] != f"{self._instance}.{self._epoch}":
            raise SyncTokenExpired(f"sync token {token!r} expired", provider=self.name)
        try:
            seq = int(parts[2])
        except ValueError:
            raise SyncTokenExpired(f"malformed sync token {token!r}", provider=self.name) from None
        if seq < self._oldest_valid_seq or seq > self._seq:
            raise SyncTokenExpired(f"sync token {token!r} expired", provider=self.name)
        return seq

    # -- writing ------------------------------------------------------------------------

    def _create(self, draft: EventDraft) -> RemoteEvent:
        with self._lock:
            self._begin("create")
            existing = self._events.get(draft.event_id)
            if existing is not None and not existing.cancelled:
                return existing  # an idempotent retry: no duplicate, no write
            self._before_write()
            event = self._from_draft(draft)
            self._drafts[draft.event_id] = draft
            return self._after_write("create", event)

    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        with self._lock:
            self._begin("update")
            stored = self._check_conditional(current)
            self._before_write()
            event = self._from_draft(draft, event_id=stored.event_id)
            self._drafts[stored.event_id] = draft
            return self._after_write("update", event)

    def _delete(self, current: RemoteEvent) -> None:
        with self._lock:
            self._begin("delete")
            stored = self._check_conditional(current)
            self._before_write()
            self._after_write("delete", dataclasses.replace(stored, cancelled=True))

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        results: list[WriteResult] = []
        size = self.capabilities.batch_size
        for offset in range(0, len(writes), size):
            with self._lock:
                self._begin("batch")
                self._in_batch = True
                try:
                    results.extend(super()._write_batch(writes[offset : offset + size]))
                finally:
                    self._in_batch = False
        return results

    # -- internals --------------------------------------------------------------------

    def _begin(self, method: str) -> None:
        """Count the request (batch items are not requests) and raise a queued failure."""
        if method == "batch" or not self._in_batch:
            self.requests[method] += 1
        queue = self._failures.get(method)
        if queue:
            raise queue.popleft()

    def _check_conditional(self, current: RemoteEvent) -> RemoteEvent:
        stored = self._events.get(current.event_id)
        if stored is None or stored.cancelled:
            raise EventNotFound(f"event {current.event_id!r} is gone", provider=self.name)
        if stored.tag is None:
            raise OwnershipError(
                f"event {current.event_id!r} on the calendar is not ours", provider=self.name
            )
        if current.etag is not None and current.etag != stored.etag:
            raise PreconditionFailed(
                f"event {current.event_id!r} changed since it was read", provider=self.name
            )
        return stored

    def _before_write(self) -> None:
        armed = self._crash_after is not None and not self._crash_lands
        if armed and self._writes_since_armed >= (self._crash_after or 0):
            self._crash_after = None  # one crash; the "restarted" process writes normally
            raise SimulatedCrash(f"simulated crash after {self._writes_since_armed} writes")

    def _after_write(self, action: str, event: RemoteEvent) -> RemoteEvent:
        stored = self._store(dataclasses.replace(event, etag=self._new_etag()))
        self.writes[action] += 1
        self._writes_since_armed += 1
        if self._crash_after is not None and self._writes_since_armed > self._crash_after:
            self._crash_after = None
            raise SimulatedCrash(f"simulated crash after {self._writes_since_armed - 1} writes")
        return stored

    def _from_draft(self, draft: EventDraft, *, event_id: str | None = None) -> RemoteEvent:
        return RemoteEvent(
            event_id=event_id or draft.event_id,
            start=draft.start,
            end=draft.end,
            title=draft.title,
            tag=draft.tag,
            all_day=draft.all_day,
            transparent=draft.show_as == "free",
            color=draft.color,
        )

    def _live(self, event_id: str) -> RemoteEvent:
        event = self._events.get(event_id)
        if event is None or event.cancelled:
            raise EventNotFound(f"no event {event_id!r}", provider=self.name)
        return event

    def _store(self, event: RemoteEvent) -> RemoteEvent:
        self._seq += 1
        self._events[event.event_id] = event
        self._log.append((self._seq, event.event_id))
        while len(self._log) > self._log_limit:
            dropped, _ = self._log.popleft()
            self._oldest_valid_seq = max(self._oldest_valid_seq, dropped)
        return event

    def _new_etag(self) -> str:
        return f'"{self._instance}-{next(self._etags)}"'


def _ordered(events: Any) -> list[RemoteEvent]:
    return sorted(events, key=lambda e: (e.start, e.end, e.event_id))


__all__ = ["MemoryCalendar", "Method", "SimulatedCrash"]
