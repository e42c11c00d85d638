"""Which ownership tag each of our Outlook events carried at a known etag, and the
calendar's other between-runs memory (:class:`OutlookState`).

Graph's delta answers omit extended properties, so an incremental read cannot see
our tag on a changed event and has to look it up again (one ``$batch`` per 20).
Most changed events in the delta after a run are the echoes of that run's own
writes, whose tag we already know: we wrote it. A Graph etag (changeKey) changes
on every modification, extended properties included, so an event still at the
etag we last saw still carries the tag we last saw; only a changed etag (someone
else edited it) needs the lookup.

The record lives in the store (through :class:`OutlookState`), so the first
incremental read in a new process -- the CLI right after a run, another worker --
knows the echoes too: a no-op resync is one request from any process. Each
provider keeps a bounded copy in memory in front of it; an entry is a fact about
one version of one event (the tag it had at that etag), so a copy never goes
stale, it only stops matching.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping
from typing import Protocol

from blocker.core.keys import OwnershipTag
from blocker.core.models import RemoteEvent

MAX_ENTRIES = 10_000

Tagged = tuple[str, OwnershipTag]
"""(etag, tag): the tag an event carried at that etag."""


class OutlookState(Protocol):
    """What one Outlook calendar remembers between runs and processes.

    The store implements it for the service and the CLI; :class:`MemoryState`
    keeps it for the life of one provider (tests, tools).
    """

    def tags(self, event_ids: Collection[str]) -> dict[str, Tagged]:
        """(etag, tag) recorded for those of ``event_ids`` that have one."""
        ...

    def remember_tags(self, tags: Mapping[str, Tagged]) -> None:
        """Record (or replace) the tag of each event id at its etag."""
        ...

    def forget_tags(self, event_ids: Collection[str]) -> None:
        """The events are gone: drop what was recorded about them."""
        ...

    def colours_off(self) -> str | None:
        """Why this calendar's blocks are written without categories, or None."""
        ...

    def turn_colours_off(self, reason: str) -> None:
        """Stop using categories on this calendar until it is connected again, and
        tell the user once (the store: the connection's status and the run record)."""
        ...


class MemoryState:
    """An :class:`OutlookState` held in memory (one provider's lifetime)."""

    def __init__(self) -> None:
        self._tags: dict[str, Tagged] = {}
        self._colours_off: str | None = None
        self._lock = threading.Lock()

    def tags(self, event_ids: Collection[str]) -> dict[str, Tagged]:
        with self._lock:
            return {i: self._tags[i] for i in event_ids if i in self._tags}

    def remember_tags(self, tags: Mapping[str, Tagged]) -> None:
        with self._lock:
            self._tags.update(tags)

    def forget_tags(self, event_ids: Collection[str]) -> None:
        with self._lock:
            for event_id in event_ids:
                self._tags.pop(event_id, None)

    def colours_off(self) -> str | None:
        return self._colours_off

    def turn_colours_off(self, reason: str) -> None:
        self._colours_off = self._colours_off or reason


class TagCache:
    """event_id -> (etag, tag) of owned events, filled by our writes and full reads.

    A bounded in-memory copy in front of ``state`` (None: memory only). Writes go
    through to ``state`` only when they change what is known, so a full read of
    an unchanged week writes nothing.
    """

    def __init__(self, state: OutlookState | None = None, max_entries: int = MAX_ENTRIES) -> None:
        self.state = state
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Tagged] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def _keep(self, event_id: str, entry: Tagged) -> None:
        """Under the lock: put one entry in the in-memory copy, oldest out first."""
        self._entries[event_id] = entry
        self._entries.move_to_end(event_id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def remember(self, events: Iterable[RemoteEvent]) -> None:
        """Note each owned event's tag at its etag.

        A tagless or etagless event is dropped from the in-memory copy only: an
        entry in the store stops matching as soon as the event's etag changes.
        """
        changed: dict[str, Tagged] = {}
        with self._lock:
            for event in events:
                if event.tag is None or not event.etag:
                    self._entries.pop(event.event_id, None)
                    continue
                entry = (event.etag, event.tag)
                if self._entries.get(event.event_id) != entry:
                    changed[event.event_id] = entry
                self._keep(event.event_id, entry)
        if changed and self.state is not None:
            self.state.remember_tags(changed)

    def forget(self, event_ids: Collection[str]) -> None:
        """The events were deleted or cancelled."""
        if not event_ids:
            return
        with self._lock:
            for event_id in event_ids:
                self._entries.pop(event_id, None)
        if self.state is not None:
            self.state.forget_tags(event_ids)

    def tags_at(self, wanted: Mapping[str, str | None]) -> dict[str, OwnershipTag]:
        """The tag of each event id still at the etag given (one store look-up for
        what memory does not know); an id missing from the answer must be looked up."""
        found: dict[str, OwnershipTag] = {}
        unknown: list[str] = []
        with self._lock:
            for event_id, etag in wanted.items():
                if not etag:
                    continue
                known = self._entries.get(event_id)
                if known is not None and known[0] == etag:
                    found[event_id] = known[1]
                else:
                    unknown.append(event_id)
        if unknown and self.state is not None:
            stored = self.state.tags(unknown)
            with self._lock:
                for event_id, entry in stored.items():
                    if entry[0] == wanted.get(event_id):
                        found[event_id] = entry[1]
                        self._keep(event_id, entry)
        return found

    def tag_at(self, event_id: str, etag: str | None) -> OwnershipTag | None:
        """The tag ``event_id`` carries if it is still at ``etag``, else None (look it up)."""
        return self.tags_at({event_id: etag}).get(event_id)


__all__ = ["MAX_ENTRIES", "MemoryState", "OutlookState", "TagCache", "Tagged"]
