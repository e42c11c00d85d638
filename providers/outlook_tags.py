"""Which ownership tag each of our Outlook events carried at a known etag.

Graph's delta answers omit extended properties, so an incremental read cannot see
our tag on a changed event and has to look it up again (one ``$batch`` per 20).
Most changed events in the delta after a run are the echoes of that run's own
writes, whose tag we already know: we wrote it. A Graph etag (changeKey) changes
on every modification, extended properties included, so an event still at the
etag we last saw still carries the tag we last saw; only a changed etag (someone
else edited it) needs the lookup.

One cache lives in each provider instance (the runtime keeps one per calendar);
a fresh process starts empty and simply looks events up. It is bounded: the
oldest entries go first, which only ever costs a lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from blocker.models import OwnershipTag, RemoteEvent

MAX_ENTRIES = 10_000


class TagCache:
    """event_id -> (etag, tag) of owned events, filled by our writes and full reads."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[str, OwnershipTag]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, event: RemoteEvent) -> None:
        """Note ``event``'s tag at its etag; a tagless or etagless event is forgotten."""
        if event.tag is None or not event.etag:
            self.forget(event.event_id)
            return
        with self._lock:
            self._entries[event.event_id] = (event.etag, event.tag)
            self._entries.move_to_end(event.event_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, event_id: str) -> None:
        with self._lock:
            self._entries.pop(event_id, None)

    def tag_at(self, event_id: str, etag: str | None) -> OwnershipTag | None:
        """The tag ``event_id`` carries if it is still at ``etag``, else None (look it up)."""
        if not etag:
            return None
        with self._lock:
            known = self._entries.get(event_id)
        if known is None or known[0] != etag:
            return None
        return known[1]


__all__ = ["MAX_ENTRIES", "TagCache"]
