"""A remote calendar's provider, rebuilt whenever its stored connection changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from blocker.connections.kind import (
    ConnectionStore,
    needs_reconnecting,
    not_connected,
    stored_tokens,
)
from blocker.core.errors import ProviderError
from blocker.core.models import Capabilities, EventDraft, Interval, ReadResult, RemoteEvent
from providers.base import CalendarProvider, Write, WriteResult

log = logging.getLogger("blocker.connections")


Build = Callable[[bytes, str, Callable[[], bytes], Callable[[bytes], None]], CalendarProvider]
"""(token blob, account label, load tokens, save refreshed tokens) -> the inner provider."""


class StoredConnection(CalendarProvider):
    """A Google/Outlook provider rebuilt whenever the stored connection changes.

    The runtime caches one provider per calendar for the life of the process;
    a reconnect (here or from ``blocker connect`` in another process) replaces
    the tokens in the store, so each read compares the connection's
    ``updated_at`` with the one the inner provider was built from. Outlook's own
    token-cache write-backs are remembered so they do not force a rebuild. A
    calendar marked ``needs_reconnect`` gets no provider (its tokens were refused:
    a request would only be refused again) but a ReconnectRequired saying so.
    """

    def __init__(
        self,
        store: ConnectionStore,
        calendar_id: str,
        kind: str,
        route: str,
        capabilities: Capabilities,
        build: Build,
    ) -> None:
        self.store = store
        self.calendar_id = calendar_id
        self.kind = kind
        self.route = route
        self.name = kind
        self.capabilities = capabilities
        self._build = build
        self._inner: CalendarProvider | None = None
        self._seen: datetime | None = None
        self._lock = threading.RLock()

    def current(self) -> CalendarProvider:
        """The inner provider for the tokens stored now (built or rebuilt as needed)."""
        conn = self.store.get_connection(self.calendar_id)
        if conn is None or not conn.has_tokens or conn.status == "disconnected":
            self._drop()
            raise not_connected(self.calendar_id, self.kind, self.route)
        if conn.status == "needs_reconnect":
            self._drop()
            raise needs_reconnecting(self.calendar_id, self.kind, self.route, conn.status_reason)
        with self._lock:
            if self._inner is None or conn.updated_at != self._seen:
                self._drop()
                self._inner = self._build(self._load(), conn.account_label, self._load, self._save)
                self._seen = conn.updated_at
            return self._inner

    def _load(self) -> bytes:
        return stored_tokens(self.store, self.calendar_id, self.kind, self.route)

    def _save(self, blob: bytes) -> None:
        """msal refreshed: persist the cache, and do not treat our own write as a reconnect."""
        with self._lock:
            self.store.save_connection_tokens(self.calendar_id, blob)
            conn = self.store.get_connection(self.calendar_id)
            if conn is not None:
                self._seen = conn.updated_at

    def _drop(self) -> None:
        with self._lock:
            if self._inner is not None:
                try:
                    self._inner.close()
                except ProviderError:
                    log.exception(
                        "closing the %s provider of %s failed", self.kind, self.calendar_id
                    )
            self._inner = None
            self._seen = None

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        return self.current().read(window, sync_token)

    def _create(self, draft: EventDraft) -> RemoteEvent:
        return self.current().create(draft)

    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        return self.current().update(current, draft)

    def _delete(self, current: RemoteEvent) -> None:
        self.current().delete(current)

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        return self.current().write_batch(writes)

    def close(self) -> None:
        self._drop()
