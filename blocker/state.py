"""What the sync engine remembers between runs, as one small protocol.

``blocker/store/`` implements it on SQLAlchemy (SQLite or PostgreSQL);
:class:`MemoryState` (in ``blocker/state_memory.py``) implements it in memory
for tests, benchmarks and ``--dry-run``. The sync engine depends on this
protocol only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from blocker.models import Block, Pin, RunRecord


@dataclass(frozen=True, slots=True)
class EventMapping:
    """Block key <-> provider event id, with what we last wrote there.

    ``content_hash`` is the hash of the content we last wrote (see
    :func:`blocker.models.content_hash`); an observed event whose hash differs
    was edited by the user, one that equals it is our own write echoing back.
    """

    key: str
    event_id: str
    week: str
    content_hash: str
    etag: str | None = None


class SyncState(Protocol):
    """Per-calendar memory of the sync engine; every method is one small transaction."""

    def mappings(self, calendar_id: str, week: str) -> dict[str, EventMapping]:
        """Mappings of the blocks of ``week``, by block key."""
        ...

    def save_mapping(self, calendar_id: str, mapping: EventMapping) -> None: ...

    def drop_mapping(self, calendar_id: str, key: str) -> None: ...

    def pins(self, calendar_id: str, week: str) -> list[Pin]:
        """User decisions for ``week``: moved/retitled blocks and dismissed keys."""
        ...

    def save_pin(self, calendar_id: str, week: str, pin: Pin) -> None: ...

    def sync_token(self, calendar_id: str) -> str | None: ...

    def save_sync_token(self, calendar_id: str, token: str | None) -> None: ...

    def previous_blocks(self, calendar_id: str, week: str) -> list[Block]:
        """The blocks of the last plan applied for ``week`` (for stability)."""
        ...

    def save_blocks(self, calendar_id: str, week: str, blocks: list[Block]) -> None: ...

    def record_run(self, run: RunRecord) -> None: ...

    def runs(self, calendar_id: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Most recent first."""
        ...


__all__ = ["EventMapping", "SyncState"]
