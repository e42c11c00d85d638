"""The one registry of per-calendar locks in a process.

Every path that reads or writes one calendar's state (a sync run, a token
refresh, a disconnect) holds that calendar's lock, so they never interleave.
The sync engine, the runtime and the provider registry all take it from here:
two registries would let a run under one lock race a run under the other.

Locks are reentrant (a runtime sync holds the lock and the engine inside takes
it again; a token refresh may happen inside a sync) and wait, never skip. An
entry lives only while some thread holds or waits for it, so the registry does
not grow with every calendar id ever seen (a long-running service sees ids come
and go with the rules).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Entry:
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: int = 0
    """Threads holding or waiting for ``lock``; the entry is dropped at zero."""


class LockRegistry:
    """Reentrant locks by key, created on first use and pruned when unused."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the lock of ``key`` for the block (waits for other threads)."""
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
            entry.users += 1
        try:
            with entry.lock:
                yield
        finally:
            with self._guard:
                entry.users -= 1
                if entry.users == 0:
                    del self._entries[key]

    def in_use(self, key: str) -> bool:
        """True while some thread holds or waits for the lock of ``key``."""
        return self.users(key) > 0

    def users(self, key: str) -> int:
        """How many threads hold or wait for the lock of ``key``."""
        with self._guard:
            entry = self._entries.get(key)
            return 0 if entry is None else entry.users

    def __len__(self) -> int:
        with self._guard:
            return len(self._entries)


CALENDAR_LOCKS = LockRegistry()
"""The process's per-calendar locks (see the module docstring)."""


def calendar_lock(calendar_id: str) -> AbstractContextManager[None]:
    """Serialise everything done to ``calendar_id`` in this process."""
    return CALENDAR_LOCKS.hold(calendar_id)


__all__ = ["CALENDAR_LOCKS", "LockRegistry", "calendar_lock"]
