"""An in-memory :class:`~blocker.state.SyncState` for tests, benchmarks and dry runs.

Behaves like the SQL store as far as the sync engine can tell: one mapping per
(calendar, key) whatever the week, one pin per (calendar, week, key) (a newer
decision replaces an older one), runs newest first. A single lock makes every
method atomic, so the scheduler's threads can share one instance.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from blocker.core.models import Block, Pin, RunRecord
from blocker.state import EventMapping, Snapshot, SyncState


class MemoryState:
    """Thread-safe in-memory sync state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mappings: dict[tuple[str, str], EventMapping] = {}
        self._pins: dict[tuple[str, str], dict[str, Pin]] = {}
        self._blocks: dict[tuple[str, str], list[Block]] = {}
        self._snapshots: dict[tuple[str, str], Snapshot] = {}
        self._runs: list[RunRecord] = []

    def atomic(self) -> AbstractContextManager[None]:
        """Nothing in memory can fail half-way through a phase of a run (no I/O, no
        encoding), so a phase's calls are all-or-nothing already: nothing to group."""
        return nullcontext()

    def mappings(self, calendar_id: str, week: str) -> dict[str, EventMapping]:
        with self._lock:
            return {
                key: m
                for (cal, key), m in self._mappings.items()
                if cal == calendar_id and m.week == week
            }

    def save_mapping(self, calendar_id: str, mapping: EventMapping) -> None:
        with self._lock:
            self._mappings[(calendar_id, mapping.key)] = mapping

    def save_mappings(self, calendar_id: str, mappings: Sequence[EventMapping]) -> None:
        with self._lock:
            for mapping in mappings:
                self._mappings[(calendar_id, mapping.key)] = mapping

    def drop_mapping(self, calendar_id: str, key: str) -> None:
        with self._lock:
            self._mappings.pop((calendar_id, key), None)

    def pins(self, calendar_id: str, week: str) -> list[Pin]:
        with self._lock:
            return list(self._pins.get((calendar_id, week), {}).values())

    def save_pin(self, calendar_id: str, week: str, pin: Pin) -> None:
        with self._lock:
            self._pins.setdefault((calendar_id, week), {})[pin.key] = pin

    def snapshot(self, calendar_id: str, week: str) -> Snapshot | None:
        with self._lock:
            return self._snapshots.get((calendar_id, week))

    def save_snapshot(self, calendar_id: str, week: str, snapshot: Snapshot) -> None:
        with self._lock:
            self._snapshots[(calendar_id, week)] = snapshot

    def drop_snapshot(self, calendar_id: str, week: str) -> None:
        with self._lock:
            self._snapshots.pop((calendar_id, week), None)

    def previous_blocks(self, calendar_id: str, week: str) -> list[Block]:
        with self._lock:
            return list(self._blocks.get((calendar_id, week), []))

    def save_blocks(self, calendar_id: str, week: str, blocks: list[Block]) -> None:
        with self._lock:
            self._blocks[(calendar_id, week)] = list(blocks)

    def record_run(self, run: RunRecord) -> None:
        with self._lock:
            self._runs.append(run)

    def runs(self, calendar_id: str | None = None, limit: int = 50) -> list[RunRecord]:
        with self._lock:
            picked = [r for r in reversed(self._runs) if calendar_id in (None, r.calendar_id)]
            return picked[:limit]


__all__ = ["MemoryState"]

if TYPE_CHECKING:  # mypy proves MemoryState satisfies the protocol
    _check: SyncState = MemoryState()
