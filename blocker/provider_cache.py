"""One provider per calendar configuration in a process, rebuilt when it changes.

Scheduler threads and request handlers ask for a calendar's provider at once; a
provider holds connections (HTTP clients, file handles), so it is built once per
configuration under a lock, and the outdated one is closed when the rules change
what it reads with (never built twice, never leaked).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable

from blocker.core.errors import ProviderError
from providers.base import CalendarProvider

log = logging.getLogger("blocker.runtime")


class ProviderCache:
    """Providers by calendar id, each with the signature of the configuration it
    was built from."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._built: dict[str, tuple[Hashable, CalendarProvider]] = {}

    def get(
        self, calendar_id: str, signature: Hashable, build: Callable[[], CalendarProvider]
    ) -> CalendarProvider:
        """The cached provider when ``signature`` is unchanged, else a new one."""
        with self._guard:
            cached = self._built.get(calendar_id)
            if cached is not None and cached[0] == signature:
                return cached[1]
            if cached is not None:
                cached[1].close()
            provider = build()
            self._built[calendar_id] = (signature, provider)
            return provider

    def close(self) -> None:
        """Close every provider (a failing close is logged, the rest still close)."""
        with self._guard:
            built, self._built = self._built, {}
        for _, provider in built.values():
            try:
                provider.close()
            except ProviderError:
                log.exception("closing provider failed")


__all__ = ["ProviderCache"]
