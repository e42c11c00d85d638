"""The one small interface every calendar system sits behind.

Contract (checked by ``tests/providers/contract.py`` for every provider):

* ``read(window, sync_token=None)``: events overlapping ``window`` (a full read),
  or, given a token from an earlier read, only what changed since (an
  incremental read: ``ReadResult.incremental`` True, removed ids in ``removed``).
  A stale token raises :class:`~blocker.core.errors.SyncTokenExpired`; the caller then
  reads in full. A read cut short returns ``complete=False`` or raises; it never
  silently returns a partial list as complete. Cancelled events are not returned
  by full reads; incremental reads report them in ``removed``.
* ``create(draft)``: writes a new owned event with ``draft.event_id`` (deterministic).
  Creating an id that already exists (a retry after a crash) returns the existing
  event instead of making a second one.
* ``update(current, draft)``: PATCH-style change of an owned event, conditional on
  ``current.etag``; raises :class:`PreconditionFailed` when the event changed.
* ``delete(current)``: conditional delete; an already gone event raises
  :class:`EventNotFound`.
* ``write_batch(writes)``: several writes, in as few HTTP requests as the provider
  allows (``capabilities.batch_size``); one result per write, in order, each either
  the resulting event (None for a delete) or the error it raised.

The public methods enforce ownership: they refuse, with
:class:`OwnershipError`, to update or delete an event without our tag. Subclasses
implement the underscored methods only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from blocker.core.errors import OwnershipError, ProviderError
from blocker.core.models import Capabilities, EventDraft, Interval, ReadResult, RemoteEvent


@dataclass(frozen=True, slots=True)
class Write:
    """One write of a batch: create needs ``draft``; update both; delete ``current``."""

    action: Literal["create", "update", "delete"]
    draft: EventDraft | None = None
    current: RemoteEvent | None = None


WriteResult = RemoteEvent | ProviderError | None
"""Per-write outcome of a batch: the event written, the error, or None (deleted)."""


class CalendarProvider(ABC):
    """A calendar we can read and write our own blocks on."""

    name: str = "abstract"
    capabilities: Capabilities = Capabilities()

    # -- reading -----------------------------------------------------------------

    @abstractmethod
    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        """Full read of ``window``, or incremental since ``sync_token``."""

    # -- writing (public, guarded) -------------------------------------------------

    def create(self, draft: EventDraft) -> RemoteEvent:
        return self._create(draft)

    def update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        self._guard(current, draft)
        return self._update(current, draft)

    def delete(self, current: RemoteEvent) -> None:
        self._guard(current)
        self._delete(current)

    def write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        """Apply several writes; default: one by one. Guarded like the single calls."""
        for write in writes:
            if write.action in ("create", "update") and write.draft is None:
                raise ValueError(f"{write.action} needs a draft")
            if write.action in ("update", "delete"):
                if write.current is None:
                    raise ValueError(f"{write.action} needs the current event")
                self._guard(write.current, write.draft if write.action == "update" else None)
        return self._write_batch(writes)

    def _guard(self, current: RemoteEvent, draft: EventDraft | None = None) -> None:
        """Refuse foreign events, and an update that would move one block's event to another."""
        if current.tag is None:
            raise OwnershipError(
                f"refusing to modify event {current.event_id!r} ({current.title!r}): "
                "it is not a csm-blocker block",
                provider=self.name,
            )
        if draft is not None and current.tag.key != draft.key:
            raise OwnershipError(
                f"event {current.event_id} belongs to block {current.tag.key}, not {draft.key}",
                provider=self.name,
            )

    # -- implementations ----------------------------------------------------------

    @abstractmethod
    def _create(self, draft: EventDraft) -> RemoteEvent: ...

    @abstractmethod
    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent: ...

    @abstractmethod
    def _delete(self, current: RemoteEvent) -> None: ...

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for write in writes:
            try:
                if write.action == "create":
                    assert write.draft is not None
                    results.append(self._create(write.draft))
                elif write.action == "update":
                    assert write.draft is not None and write.current is not None
                    results.append(self._update(write.current, write.draft))
                else:
                    assert write.current is not None
                    self._delete(write.current)
                    results.append(None)
            except ProviderError as exc:
                results.append(exc)
        return results

    def close(self) -> None:  # noqa: B027 - optional hook, most providers hold nothing
        """Release connections; default: nothing to release."""


__all__ = ["CalendarProvider", "Write", "WriteResult"]
