"""The mailbox's Outlook master category list, as far as this provider instance knows it.

Colours are Outlook categories (``csm-blocker <Preset>``) that must exist in the
master list to be painted. Listing or creating them one request at a time cost
a first sync a dozen requests, so the list is cached per provider instance:
a read lists it inside its own ``$batch`` (no request of its own), and the
categories a write batch still misses ride in a write's ``$batch`` -- a 409
"already exists" means another client made it first, which is just as good.

An event never waits for its category (no ``dependsOn``): Graph accepts any
category name on an event and paints it once the master list has it, and a
``dependsOn`` on a creation that answers 409 would fail the event with 424.
So a creation takes a free member of a write batch and never a batch of its
own: those that do not fit are *owed* and go with a later write batch that has
room (a run's last one usually has), or the next full read. A 409 marks the list
stale, so the next full read lists it again.

The list and the creations need ``MailboxSettings.Read`` / ``ReadWrite``; without
them Graph answers 403 and the provider writes uncoloured blocks (see
``OutlookCalendar``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from providers.outlook_graph import SubRequest, SubResponse

MASTER = "/me/outlook/masterCategories"

log = logging.getLogger(__name__)


class CategoryCache:
    """Display name -> preset of the master categories; ``fresh`` once listed."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._owed: dict[str, str] = {}
        self.fresh = False
        self._lock = threading.Lock()

    def known(self) -> dict[str, str]:
        with self._lock:
            return dict(self._names)

    def listed(self, body: Any) -> None:
        """Replace what we know with a ``GET masterCategories`` answer."""
        values = body.get("value", []) if isinstance(body, Mapping) else []
        with self._lock:
            self._names = {
                str(c["displayName"]): str(c.get("color", "none"))
                for c in values
                if isinstance(c, Mapping) and "displayName" in c
            }
            self.fresh = True

    def missing(self, wanted: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (name, preset) pairs of ``wanted`` not yet in the master list, once each,
        the ones owed from earlier writes first."""
        with self._lock:
            out = {name: preset for name, preset in self._owed.items() if name not in self._names}
            out.update((name, preset) for name, preset in wanted if name not in self._names)
        return list(out.items())

    def owe(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Categories events already carry but that could not be created yet."""
        with self._lock:
            self._owed.update(pairs)

    def owed(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(n, p) for n, p in self._owed.items() if n not in self._names]

    def create_requests(self, pairs: Iterable[tuple[str, str]]) -> list[SubRequest]:
        return [
            SubRequest("POST", MASTER, body={"displayName": name, "color": preset})
            for name, preset in pairs
        ]

    def answered(self, name: str, preset: str, answer: SubResponse) -> None:
        """Record one creation's answer; a failure leaves it missing (tried again next write)."""
        if answer.status < 400 or answer.status == 409:
            with self._lock:
                self._names.setdefault(name, preset)
                self._owed.pop(name, None)
                if answer.status == 409:
                    self.fresh = False  # someone else made it: list again on the next read
            return
        self.owe([(name, preset)])  # tried again with a later write
        log.warning("could not create Outlook category %r: %s", name, answer.error())


__all__ = ["MASTER", "CategoryCache"]
